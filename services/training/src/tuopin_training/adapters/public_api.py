"""Certificate verification for anyone, and the coverage figures of the 2020 goal."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query
from fastapi.responses import Response
from pydantic import BaseModel

from tuopin_contracts.bounds import Year
from tuopin_contracts.dates import today
from tuopin_contracts.events.training import Label
from tuopin_eventkit.web.http import CSV_DOWNLOAD, AsOf, KnownAt, Router, csv_table
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_training.adapters import views as v
from tuopin_training.application import coverage, labour, queries

router = Router(prefix="/v1")

Within = Annotated[
    str,
    Query(
        pattern=r"^62(\d{4}(\d{3}(\d{3})?)?)?$",
        description="62 for the province, or a county, township or village code",
    ),
]
InYear = Annotated[Year, Query(ge=2013, description="The year the placements started in")]
Region = Annotated[
    str, Query(pattern=r"^62\d{4}(\d{3}(\d{3})?)?$", description="County, township or village")
]


@router.get(
    "/certificates/{issuer}/{number}",
    tags=["certificates"],
    response_model=v.CertificateCheck,
    summary="Verify a certificate (证书查询): masked holder, occupation, level, validity",
)
async def verify(
    issuer: UUID, number: Label, runtime: RuntimeDep, as_of: AsOf = None
) -> dict[str, Any]:
    """Valid, expired or revoked on the business date ``as_of`` (default: today, Beijing)."""
    async with runtime.reader.connect() as conn:
        return await queries.verify(conn, str(issuer), number, as_of or today())


@router.get(
    "/coverage",
    tags=["coverage"],
    response_model=v.Coverage,
    summary="Households with a certified member, by region",
)
async def by_region(
    runtime: RuntimeDep,
    level: Literal["county", "township", "village"] = "village",
    code: Annotated[str | None, Query(pattern=r"^62\d{4}(\d{3}(\d{3})?)?$")] = None,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await coverage.by_region(conn, level, code, as_of or today(), known_at)


@router.get(
    "/households/{household_id}",
    tags=["coverage"],
    response_model=v.HouseholdCoverage,
    summary="Whether a registered household has a member with a valid certificate",
)
async def household(
    household_id: UUID, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await coverage.household(conn, str(household_id), as_of or today(), known_at)


@router.get(
    "/work-list",
    tags=["coverage"],
    response_model=v.WorkList,
    summary="Households with working-age members and no certificate yet (工作清单)",
)
async def work_list(code: Region, runtime: RuntimeDep, as_of: AsOf = None) -> dict[str, Any]:
    day = as_of or today()
    async with runtime.reader.connect() as conn:
        rows = await coverage.work_list(conn, code, day)
    return {"within": code, "as_of": day, "households": len(rows), "rows": rows}


@router.get("/work-list.csv", **CSV_DOWNLOAD, tags=["coverage"], summary="The work list as CSV")
async def work_list_csv(code: Region, runtime: RuntimeDep, as_of: AsOf = None) -> Response:
    rows = (await work_list(code, runtime, as_of))["rows"]
    header = ["village_code", "file_number", "household_id", "status", "working_age_members"]
    table = ([*(r[c] for c in header[:-1]), ";".join(r[header[-1]])] for r in rows)
    return csv_table(header, table, f"work-list-{code}.csv")


@router.get(
    "/yearly/{year}",
    tags=["coverage"],
    response_model=v.Yearly,
    summary="A year's counts against the targets",
)
async def yearly(
    year: Annotated[Year, Path(ge=2013, description="建档立卡 began in 2013")],
    runtime: RuntimeDep,
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await coverage.yearly(conn, year)


class LabourTransferQuery(BaseModel):
    """What a labour-transfer report asks, as JSON or as CSV."""

    region: Within
    year: InYear
    as_of: AsOf = None
    known_at: KnownAt = None


@router.get(
    "/labour-transfer",
    tags=["labour transfer"],
    response_model=v.LabourTransfer,
    summary="Labour transfer (劳务输转): people placed, households, destinations, months",
)
async def labour_transfer(
    runtime: RuntimeDep, q: Annotated[LabourTransferQuery, Query()]
) -> dict[str, Any]:
    """Placements that started in ``year``, by ``as_of`` (default today, Beijing), by the
    next level down within ``region``; within and outside the province and by place as
    recorded. No income: the placement records none (see ``application.labour``)."""
    async with runtime.reader.connect() as conn:
        return await labour.report(conn, q.region, q.year, q.as_of or today(), q.known_at)


@router.get(
    "/labour-transfer.csv",
    **CSV_DOWNLOAD,
    tags=["labour transfer"],
    summary="Labour transfer as CSV",
)
async def labour_transfer_csv(
    runtime: RuntimeDep, q: Annotated[LabourTransferQuery, Query()]
) -> Response:
    answer = await labour_transfer(runtime, q)
    return csv_table(
        labour.CSV_HEADER, labour.csv_rows(answer), f"labour-transfer-{q.region}-{q.year}.csv"
    )
