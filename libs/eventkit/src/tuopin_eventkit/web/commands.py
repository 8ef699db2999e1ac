"""How a route turns a command into an endpoint: its Idempotency-Key (and If-Match, when
the change is decided on a version) come with the runtime as one parameter, and ``run``
executes the command once per key and answers it as ``respond`` does.

    async def withdraw(centre_id: UUID, body: Withdrawal, command: VersionedCommandDep):
        return await command.run(
            "office.withdraw",
            {"centre": str(centre_id), **body.model_dump(mode="json")},
            lambda conn, store: office.withdraw(conn, store, str(centre_id), command.version()),
        )
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_eventkit.web.http import IdempotencyKey, IfMatch, expected_version, respond
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep

# What a route asks of its service: given the transaction and the event store, the answer.
Decision = Callable[[AsyncConnection, EventStore], Awaitable[Outcome]]


@dataclass(frozen=True)
class Command:
    """One request to a command route: the runtime, the caller's Idempotency-Key and, on
    a route that takes it, If-Match."""

    runtime: Runtime
    key: str | None
    if_match: str | None = None

    def version(self) -> int | None:
        """The version If-Match names (400 if it names none). Read inside the decision,
        so that a retry replays its first answer whatever it sends."""
        return expected_version(self.if_match)

    async def run(
        self,
        scope: str,
        request: dict[str, Any],
        decide: Decision,
        location: str | None = None,
    ) -> JSONResponse:
        """Decide at most once per Idempotency-Key within ``scope`` (``request`` is what a
        retry must repeat) and answer: 201 when it created, else 200. ``location`` names
        what it created, filled from the answer: ``"/v1/centres/{centre_id}"``."""

        async def command(conn: AsyncConnection) -> Outcome:
            return await decide(conn, self.runtime.store)

        outcome = await self.runtime.execute(scope, self.key, request, command)
        return respond(outcome, location.format_map(outcome.body) if location else None)


async def _command(runtime: RuntimeDep, idempotency_key: IdempotencyKey = None) -> Command:
    return Command(runtime, idempotency_key)


async def _versioned(
    runtime: RuntimeDep, if_match: IfMatch = None, idempotency_key: IdempotencyKey = None
) -> Command:
    return Command(runtime, idempotency_key, if_match)


# A command route's parameter: the Idempotency-Key header, and with it If-Match.
CommandDep = Annotated[Command, Depends(_command)]
VersionedCommandDep = Annotated[Command, Depends(_versioned)]
