"""People over HTTP: the one unmasked read of a resident ID number, and erasure.

Every other response masks the number. This route answers it in clear only to the callers
the policy lets through (see adapters/policy.py), and every answer leaves a trace twice:
a row in ``identity_reads``, written in the same transaction as the read (no read without
its record), and an audit log line — who, whom, when.
"""

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit import context
from tuopin_eventkit.db import shred
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.http import IdempotencyKey, Router, respond
from tuopin_eventkit.web.problems import problem
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_registry.adapters import schemas as s
from tuopin_registry.adapters import views as v
from tuopin_registry.adapters.commanding import vault
from tuopin_registry.application import people
from tuopin_registry.application.erasure import erase_person

router = Router(prefix="/v1", tags=["people"])
audit = logging.getLogger("tuopin.audit")

# An unmasked answer is kept by no cache, shared or private.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.get(
    "/people/{person_id}/identity",
    response_model=v.Identity,
    summary="A person's resident ID number in clear (restricted; every read is recorded)",
    responses={410: {"description": "The identity was erased at the person's request"}},
)
async def identity(
    person_id: UUID, request: Request, response: Response, runtime: RuntimeDep
) -> JSONResponse | dict[str, Any]:
    pid = str(person_id)
    actor = request.state.principal.actor
    async with runtime.engine.begin() as conn:
        found = await people.person(conn, pid)
        if found is None:
            raise NotFound(f"no person {pid}")
        try:
            number = await people.reveal(conn, vault(runtime), pid)
        except people.Erased as erased:
            return problem(
                410,
                "Identity erased",
                str(erased),
                "identity-erased",
                person_id=pid,
                erased_at=erased.erased_at.isoformat(),
            )
        if number is None:  # a legacy member filed without a number
            raise NotFound(f"no resident ID number on file for person {pid}")
        keys = await people.person_keys(conn, vault(runtime), [pid])
        details = people.details(keys, pid, found.sealed)
        now = datetime.now(UTC)
        await people.record_read(conn, pid, actor, now, context.current().correlation_id)
    audit.info(
        "resident ID number read in clear by %s: person %s of household %s at %s",
        actor,
        pid,
        found.household_id,
        now.isoformat(),
    )
    body: dict[str, Any] = {
        "person_id": pid,
        "household_id": found.household_id,
        "name": details.get("name"),
        "id_number": number,
        "id_number_masked": details.get("id_number_masked"),
    }
    response.headers.update(NO_STORE)
    return body


@router.post(
    "/people/{person_id}/erasure",
    response_model=v.Erased,
    summary="Honour a deletion request: crypto-shred the person's clear identity",
    description=(
        "For a member who left the household, or anyone of a household removed as wrongly "
        "identified. The person's data key is destroyed: the clear ID number and every "
        "sealed copy of their name, sex, birth date, health and masked number can never "
        "be read again. The household's events stay as they are, and a `person_erased` "
        "event records the erasure and tells every service to forget the person."
    ),
)
async def erasure(
    person_id: UUID,
    body: s.Erasure,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: AsyncConnection) -> Outcome:
        return await erase_person(
            conn, runtime.store, str(person_id), body.effective_date, body.reason
        )

    request = {"person": str(person_id), **body.model_dump(mode="json")}
    outcome = await runtime.execute("erasure", idempotency_key, request, command)
    if not outcome.replayed and not await shred(runtime.engine):
        # SQLite readers held part of the write-ahead log: its older pages (the destroyed
        # key among them) go at the next checkpoint, not now.
        audit.warning(
            "erasure of person %s: the write-ahead log could not be emptied yet", person_id
        )
    return respond(outcome)
