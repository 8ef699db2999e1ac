"""The evaluation service's REST API."""

from fastapi import APIRouter
from pydantic import BaseModel

from tuopin_evaluation.application.households import households_per_county
from tuopin_eventkit.service import RuntimeDep

router = APIRouter(prefix="/v1", tags=["statistics"])


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
