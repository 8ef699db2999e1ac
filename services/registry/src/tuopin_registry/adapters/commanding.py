"""One route factory for every "change this household / village" command, so that each
endpoint is a line of data (the kernel's ``Command`` runs it: Idempotency-Key, If-Match)."""

from collections.abc import Awaitable, Callable
from inspect import Parameter, Signature
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import Command, VersionedCommandDep
from tuopin_eventkit.web.runtime import Runtime
from tuopin_registry.application.sealing import PeopleKey
from tuopin_registry.config import RegistrySettings

# How an aggregate decides, given the request body, its own id and the item id in the path.
Decide = Callable[[Any, Any, str, str], None]
# Load the aggregate, check the expected version, let it decide, save (given the runtime:
# its store, and the people vault's key where the answer opens members' details).
Change = Callable[
    [AsyncConnection, Runtime, str, int | None, Callable[[Any], None]], Awaitable[Outcome]
]
Route = tuple[str, type[BaseModel], str, str, Decide]


def keys(runtime: Runtime) -> IdentityKeys:
    return IdentityKeys(runtime.settings.identity_key.get_secret_value())


def vault(runtime: Runtime) -> PeopleKey:
    """The people vault's master key, from the registry's settings."""
    # The registry's runtime is started with RegistrySettings; Runtime types its base.
    settings: RegistrySettings = runtime.settings  # type: ignore[assignment]
    return settings.people()


def _owner_field(kind: type[BaseModel]) -> str:
    return "household_id" if "household_id" in kind.model_fields else "village_code"


# The aggregate's command that records an event, e.g. ``Household.record_causes``.
Records = Callable[[Any, Any], None]


def recorded(kind: type[BaseModel], command: Records, item: str | None = None) -> Decide:
    """Record the request body as event ``kind`` through the aggregate's ``command``; the
    owner (household_id or village_code) and the path's item id are filled in."""
    owner = _owner_field(kind)

    def decide(aggregate: Any, body: Any, owner_id: str, item_id: str) -> None:
        extra = {item: item_id} if item else {}
        command(aggregate, kind(**{owner: owner_id}, **extra, **body.model_dump()))

    return decide


def listed(kind: type[BaseModel], command: Records, id_field: str) -> Decide:
    """Like ``recorded``, for things listed under a new id (needs, measures)."""
    owner = _owner_field(kind)

    def decide(aggregate: Any, body: Any, owner_id: str, _: str) -> None:
        new = {owner: owner_id, id_field: str(uuid4())}
        command(aggregate, kind(**new, **body.model_dump()))

    return decide


def command_route(
    router: APIRouter,
    resource: str,
    owner: tuple[str, Any],
    change: Change,
    route: Route,
    answer: type[BaseModel],
) -> None:
    """POST /{resource}/{owner}/{path}: let the owner aggregate decide, as a command that
    answers the owner as ``answer`` says."""
    path, model, tag, summary, decide = route
    owner_name, owner_type = owner

    async def endpoint(**args: Any) -> JSONResponse:
        command: Command = args["command"]
        body, owner_id, item_id = args["body"], str(args[owner_name]), str(args.get("item_id"))
        return await command.run(
            f"{resource}.{path}",
            {resource: owner_id, "item": item_id, **body.model_dump(mode="json")},
            lambda conn, _: change(
                conn,
                command.runtime,
                owner_id,
                command.version(),
                lambda aggregate: decide(aggregate, body, owner_id, item_id),
            ),
        )

    keyword = Parameter.KEYWORD_ONLY
    params = [Parameter(owner_name, keyword, annotation=owner_type)]
    if "{item_id}" in path:
        params.append(Parameter("item_id", keyword, annotation=UUID))
    params += [
        Parameter("body", keyword, annotation=model),
        Parameter("command", keyword, annotation=VersionedCommandDep),
    ]
    # FastAPI reads the parameters from this signature (a function has no such attribute).
    endpoint.__signature__ = Signature(params, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    name = f"{resource}_{path}".replace("{item_id}", "item")
    endpoint.__name__ = name.replace("/", "_").replace("-", "_")
    router.post(
        f"/{resource}/{{{owner_name}}}/{path}", response_model=answer, tags=[tag], summary=summary
    )(endpoint)
