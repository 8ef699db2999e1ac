"""The county education bureau records education assistance for poor students (教育扶贫,
seed 四.9(1)); evaluation counts it into the household's 教育保障 and the roll-ups."""

from fastapi.responses import JSONResponse

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import Router
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
async def record(body: education.AssistanceDecision, command: CommandDep) -> JSONResponse:
    keys = IdentityKeys(command.runtime.settings.identity_key.get_secret_value())
    return await command.run(
        f"education.{body.county_code}",
        body.model_dump(mode="json"),
        lambda conn, store: education.record(conn, store, keys, body),
    )
