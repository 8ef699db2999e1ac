"""Centres' postings over HTTP; the inbound Kafka topic runs the same ``handle``."""

from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.idempotency import Key, Outcome
from tuopin_eventkit.web.http import Router, respond
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep
from tuopin_training.adapters.views import Posted
from tuopin_training.application.postings import AnyPosting, CentrePosting
from tuopin_training.application.recording import Recorder

router = Router(prefix="/v1", tags=["centre postings"])

RecordKey = Annotated[
    Key,
    Header(
        alias="Idempotency-Key",
        description="The centre's own record id; a retry gets the first answer.",
    ),
]


async def handle(runtime: Runtime, posting: AnyPosting, key: str) -> Outcome:
    """Record one posting at most once per (centre, record id), whichever way it came."""
    keys = IdentityKeys(runtime.settings.identity_key.get_secret_value())

    async def command(conn: AsyncConnection) -> Outcome:
        return await Recorder(conn, runtime.store, keys).record(posting)

    scope = f"postings.{posting.centre_id}"
    return await runtime.execute(scope, key, posting.model_dump(mode="json"), command)


@router.post(
    "/centre-postings",
    status_code=201,
    response_model=Posted,
    summary="A centre posts an enrolment, attendance, completion, drop-out, appraisal, "
    "certificate, revocation, academic certificate or placement",
)
async def post(
    body: CentrePosting, runtime: RuntimeDep, idempotency_key: RecordKey
) -> JSONResponse:
    return respond(await handle(runtime, body, idempotency_key))
