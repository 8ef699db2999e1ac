"""County delisting (摘帽) and the seed's targets over HTTP: the standing as of a day (or
under another rule set), recording it (which publishes it), progress on the targets, and
the county's falsification signals (弄虚作假的迹象)."""

from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse

from tuopin_contracts.bounds import Text
from tuopin_contracts.dates import today
from tuopin_evaluation.adapters.views import CountySignals, DelistingStanding, Targets
from tuopin_evaluation.application import delisting, signals, targets
from tuopin_evaluation.application.answers import answers
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import AsOf, KnownAt, Router
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1", tags=["delisting"])
County = Annotated[str, Path(pattern=r"^62[0-9]{4}$", description="County code (GB/T 2260)")]


@router.get(
    "/counties/{county}/delisting",
    response_model=DelistingStanding,
    summary="Delisting standing (摘帽), every test shown",
)
async def standing(
    county: County,
    runtime: RuntimeDep,
    as_of: AsOf = None,
    known_at: KnownAt = None,
    rules: Annotated[Text | None, Query(max_length=100, description="What-if rule set")] = None,
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await delisting.standing(conn, runtime.store, county, as_of, rules, known_at)


@router.get(
    "/counties/{county}/signals",
    tags=["signals"],
    response_model=CountySignals,
    summary="Falsification signals (弄虚作假, seed 六 17), each with the households it flags",
)
async def county_signals(
    county: County, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await signals.county_signals(conn, county, as_of, known_at)


@router.post(
    "/counties/{county}/delisting",
    status_code=201,
    response_model=DelistingStanding,
    summary="Record and publish the county's standing under the rules in force",
)
async def record(county: County, command: CommandDep, as_of: AsOf = None) -> JSONResponse:
    return await command.run(
        "delisting",
        {"county": county, "as_of": str(as_of)},
        lambda conn, store: delisting.record_standing(conn, store, county, as_of),
    )


@router.get(
    "/targets",
    tags=["targets"],
    response_model=Targets,
    response_model_exclude_unset=True,  # each target's own terms only
    summary="Progress on the seed's targets (目标精准)",
)
async def target_progress(
    runtime: RuntimeDep,
    region: Annotated[str, Query(pattern=r"^62[0-9]{4}$")] = "620000",
    as_of: AsOf = None,
) -> dict[str, Any]:
    on = as_of or today()
    # Kept while the read model stands still, as the roll-ups are: the leadership's
    # dashboard asks for the province's, six province-wide roll-ups as of year ends.
    found = await answers(runtime.reader).get(
        ("targets", region, on),
        lambda conn: targets.progress(conn, runtime.reader, runtime.store, region, on),
    )
    return {"region": region, "as_of": on, "targets": found.rows}
