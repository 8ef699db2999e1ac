"""The office's endpoints: accrediting centres, opening programmes, reading them."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from fastapi.responses import JSONResponse

from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import CommandDep, VersionedCommandDep
from tuopin_eventkit.web.http import (
    History,
    PastDep,
    Router,
    respond,
)
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_training.adapters import schemas as s
from tuopin_training.adapters import views as v
from tuopin_training.application import office, queries

router = Router(prefix="/v1")


@router.post(
    "/centres",
    status_code=201,
    response_model=v.Centre,
    tags=["centres"],
    summary="Accredit a training centre",
)
async def accredit(body: s.AccreditationTerms, command: CommandDep) -> JSONResponse:
    return await command.run(
        "office.accredit",
        body.model_dump(mode="json"),
        lambda conn, store: office.accredit(conn, store, body.model_dump()),
        location="/v1/centres/{centre_id}",
    )


@router.post(
    "/centres/{centre_id}/accreditations",
    response_model=v.Centre,
    tags=["centres"],
    summary="Renew or change a centre's accreditation (a new term)",
)
async def reaccredit(
    centre_id: UUID, body: s.AccreditationTerms, command: VersionedCommandDep
) -> JSONResponse:
    return await command.run(
        "office.reaccredit",
        {"centre": str(centre_id), **body.model_dump(mode="json")},
        lambda conn, store: office.reaccredit(
            conn, store, str(centre_id), command.version(), body.model_dump()
        ),
    )


@router.post(
    "/centres/{centre_id}/withdrawal",
    response_model=v.Centre,
    tags=["centres"],
    summary="Withdraw the accreditation",
)
async def withdraw(
    centre_id: UUID, body: s.Withdrawal, command: VersionedCommandDep
) -> JSONResponse:
    return await command.run(
        "office.withdraw",
        {"centre": str(centre_id), **body.model_dump(mode="json")},
        lambda conn, store: office.withdraw(
            conn, store, str(centre_id), command.version(), body.withdrawn_on, body.reason
        ),
    )


@router.get(
    "/centres",
    tags=["centres"],
    response_model=list[v.CentreRow],
    summary="Accredited centres, by county",
)
async def centres(
    runtime: RuntimeDep, county_code: Annotated[str | None, Query(pattern=r"^62\d{4}$")] = None
) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await queries.centre_list(conn, county_code)


@router.get(
    "/centres/{centre_id}",
    response_model=v.Centre,
    tags=["centres"],
    summary="A centre and its accreditation",
)
async def centre(centre_id: UUID, runtime: RuntimeDep) -> JSONResponse:
    async with runtime.reader.connect() as conn:
        found = await office.centre(conn, runtime.store, str(centre_id))
    return respond(Outcome(office.centre_view(found)))


@router.get("/centres/{centre_id}/history", tags=["centres"], response_model=History)
async def centre_history(centre_id: UUID, past: PastDep) -> History:
    return await past.of(str(centre_id), "centre")


@router.post(
    "/programmes",
    status_code=201,
    response_model=v.OpenedProgramme,
    tags=["programmes"],
    summary="Open a programme",
)
async def open_programme(body: s.ProgrammeOpening, command: CommandDep) -> JSONResponse:
    return await command.run(
        "office.open-programme",
        body.model_dump(mode="json"),
        lambda conn, store: office.open_programme(conn, store, body.model_dump()),
        location="/v1/programmes/{programme_id}",
    )


@router.get(
    "/programmes/{programme_id}",
    tags=["programmes"],
    response_model=v.Programme,
    summary="A programme and seats",
)
async def programme(programme_id: UUID, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await queries.programme(conn, str(programme_id))
