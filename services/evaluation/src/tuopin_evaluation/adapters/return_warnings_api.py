"""The counties' work list of return warnings (返贫预警) over HTTP: the list by region and
status, as of a day and as known at an instant; a cadre's acknowledgement with the
measures planned; a closure as resolved. Closure as returned is the registry's to cause
(a household listed again), never a route's."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.bounds import BusinessDate
from tuopin_contracts.text import FreeText
from tuopin_evaluation.adapters.rollup_reports import RegionCode
from tuopin_evaluation.adapters.views import ReturnWarning
from tuopin_evaluation.application import return_watch as app
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import AsOf, KnownAt, Router
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1/return-warnings", tags=["return warnings (返贫预警)"])

Status = Literal["open", "acknowledged", "closed"]
Measure = Annotated[FreeText, Field(min_length=1, max_length=500)]


class Acknowledgement(BaseModel):
    """The cadre who answers for the warning (帮扶责任人) and what is to be done."""

    model_config = ConfigDict(extra="forbid")

    acknowledged_on: BusinessDate
    cadre_name: Annotated[FreeText, Field(min_length=1, max_length=50)]
    cadre_unit: Annotated[FreeText, Field(min_length=1, max_length=200)]
    measures: list[Measure] = Field(min_length=1, max_length=20, examples=[["大病医疗救助"]])


class Closure(BaseModel):
    """Why the warning is resolved: the household is stable again."""

    model_config = ConfigDict(extra="forbid")

    closed_on: BusinessDate
    reason: Annotated[FreeText, Field(min_length=1, max_length=1000)]


class WarningList(BaseModel):
    region: str
    status: Status | None
    as_of: date
    known_at: datetime | None
    items: list[ReturnWarning]


@router.get("", response_model=WarningList, summary="Return warnings of a region, by status")
async def work_list(
    runtime: RuntimeDep,
    region: Annotated[RegionCode, Query()] = "620000",
    status: Annotated[Status | None, Query(description="Default: every status")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> WarningList:
    async with runtime.reader.connect() as conn:
        found = await app.work_list(conn, region, status, as_of, known_at)
    return WarningList(
        region=region, status=status, as_of=found.as_of, known_at=known_at, items=found.items
    )


@router.post(
    "/{warning_id}/acknowledgement",
    response_model=ReturnWarning,
    summary="A cadre takes up an open warning",
)
async def acknowledge(warning_id: UUID, body: Acknowledgement, command: CommandDep) -> JSONResponse:
    return await command.run(
        "return_warnings.acknowledge",
        {"warning": str(warning_id), **body.model_dump(mode="json")},
        lambda conn, store: app.acknowledge(conn, store, str(warning_id), **body.model_dump()),
    )


@router.post(
    "/{warning_id}/closure",
    response_model=ReturnWarning,
    summary="Close an open or acknowledged warning as resolved",
)
async def close(warning_id: UUID, body: Closure, command: CommandDep) -> JSONResponse:
    return await command.run(
        "return_warnings.close",
        {"warning": str(warning_id), **body.model_dump(mode="json")},
        lambda conn, store: app.close(conn, store, str(warning_id), **body.model_dump()),
    )
