"""The county education bureau records education assistance for poor students (教育扶贫,
seed 四.9(1)); evaluation counts it into the household's 教育保障 and the roll-ups."""

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.http import IdempotencyKey, Router, respond
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_training.adapters.views import EducationAssistance
from tuopin_training.application import education

router = Router(prefix="/v1", tags=["education assistance"])

# The bureau's own decision number, like the office's keys: optional, and a retry with it
# gets the first answer. (Required, a township officer's request would fail validation
# before the county scope refuses it.)


@router.post(
    "/education-assistance",
    status_code=201,
    response_model=EducationAssistance,
    summary="Record a 中职 grant (助学金) or a fee waiver (免学费、书本费、保教费) for a "
    "member of a registered poor household, per academic year",
)
async def record(
    body: education.AssistanceDecision, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    keys = IdentityKeys(runtime.settings.identity_key.get_secret_value())

    async def command(conn: AsyncConnection) -> Outcome:
        return await education.record(conn, runtime.store, keys, body)

    scope = f"education.{body.county_code}"
    request = body.model_dump(mode="json")
    return respond(await runtime.execute(scope, idempotency_key, request, command))
