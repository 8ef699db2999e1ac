"""The evaluation service's REST API: registered counts and household exit verdicts."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from tuopin_contracts.bounds import Text, Year
from tuopin_contracts.dates import today
from tuopin_evaluation.adapters import views as v
from tuopin_evaluation.application.households import households_per_county
from tuopin_evaluation.application.rollups import choose_rules
from tuopin_evaluation.application.verdicts import recompute
from tuopin_eventkit.web.http import AsOf, Router
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1", tags=["statistics"])


class CountyCount(BaseModel):
    county_code: str
    households: int
    people: int


class Stats(BaseModel):
    """Registered poor households and people per county, as the events have arrived."""

    total_households: int
    total_people: int
    counties: list[CountyCount]


@router.get("/stats", response_model=Stats, summary="Registered households per county")
async def stats(runtime: RuntimeDep) -> Stats:
    async with runtime.reader.connect() as conn:
        counties = [CountyCount.model_validate(c) for c in await households_per_county(conn)]
    return Stats(
        total_households=sum(c.households for c in counties),
        total_people=sum(c.people for c in counties),
        counties=counties,
    )


@router.get(
    "/households/{household_id}/exit-verdict",
    tags=["exit verification"],
    response_model=v.ExitVerdict,
    summary="Recompute a household's exit verdict: as of a day, or under other rules",
)
async def exit_verdict(
    household_id: UUID,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    year: Annotated[Year | None, Query(ge=2013, description="Income year")] = None,
    rules: Annotated[Text | None, Query(max_length=100, description="What-if rule set")] = None,
) -> dict[str, Any]:
    day = as_of or today()
    chosen = choose_rules(day, rules)
    async with runtime.reader.connect() as conn:
        criteria = await recompute(conn, str(household_id), day, year or day.year, chosen)
    return {
        "household_id": household_id,
        "as_of": day,
        "income_year": year or day.year,
        "rule_set": chosen.name,
        "passed": all(c.passed for c in criteria),
        "criteria": [c.model_dump() for c in criteria],
    }
