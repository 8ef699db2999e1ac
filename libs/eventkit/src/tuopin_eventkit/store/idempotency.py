"""Idempotency keys: a retried request returns the first answer and writes nothing twice.

The key, a fingerprint of the request and the response are stored in the same transaction
as the command's events; a key reused for a different request is refused (HTTP 422).
Requests with the same key are serialised on the key before anything else, so concurrent
twins never run the command twice: the later ones wait, then recall the first answer.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field
from pydantic_core import to_jsonable_python
from sqlalchemy import String, bindparam, cast, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.bounds import Text
from tuopin_eventkit.batched import upsert_statement
from tuopin_eventkit.store.schema import idempotency_keys
from tuopin_eventkit.store.store import EventStore

# A key as the caller sends it, by HTTP header or Kafka header: what the keys table holds.
Key = Annotated[
    Text,
    Field(
        min_length=1,
        max_length=255,
        description="The caller's own transaction id; a retry gets the first answer.",
    ),
]


class IdempotencyKeyReused(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used for a different request")


@dataclass(frozen=True)
class Outcome:
    """A command's answer: what it says, and whether it made something new (the web layer
    answers 201 Created, else 200). The body is made JSON-ready at once, so a replay is
    identical."""

    body: dict[str, Any]
    created: bool = False
    replayed: bool = False

    @property
    def status_code(self) -> int:
        return 201 if self.created else 200

    def __post_init__(self) -> None:
        object.__setattr__(self, "body", to_jsonable_python(self.body))


def fingerprint(request: Any) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


Command = Callable[[AsyncConnection], Awaitable[Outcome]]


async def execute(
    engine: AsyncEngine,
    store: EventStore,
    command: Command,
    scope: str,
    key: str | None,
    request: Any,
) -> Outcome:
    """Run ``command`` in one transaction, at most once per (scope, key).

    A command whose uniqueness checks are not serialised by the append lock (it is not
    taken before them, so that writers queue on it for less) can pass them together with a
    concurrent twin; the slower of the two then meets the unique index the twin filled.
    It is run again from the start, so that its checks see the twin and refuse with the
    command's own 409 (or pass, if the twin rolled back)."""
    print_ = fingerprint(request) if key is not None else ""

    async def once() -> Outcome:
        async with engine.begin() as conn:
            # The key is claimed first, so twins wait here for each other and a twin
            # recalls the first answer instead of running the command against half of its
            # effects (and answering, say, 409 "already a member of the household" this
            # very key filed).
            while key is not None and not await _claim(conn, scope, key, print_):
                prior = await _recall(conn, scope, key, print_)
                if prior is not None:
                    return prior
            outcome = await command(conn)
            if key is not None:
                answer = {"status_code": outcome.status_code, "response": outcome.body}
                when = datetime.now(UTC)
                await conn.execute(_ANSWER, {**answer, "at": scope, "for": key, "created_at": when})
        store.notify()
        return outcome

    for _ in range(_ATTEMPTS - 1):
        try:
            return await once()
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
    return await once()


# PostgreSQL's code for a unique index met; SQLite serialises whole writing transactions
# (``BEGIN IMMEDIATE``), so there a violation is never a race and is not retried.
_UNIQUE_VIOLATION = "23505"
_ATTEMPTS = 3


# The command's answer, set on the key's row: built once (a writer holds the append lock
# while it runs), its SET columns those of the parameters.
_ANSWER = update(idempotency_keys).where(
    idempotency_keys.c.scope == bindparam("at"), idempotency_keys.c.key == bindparam("for")
)


async def _claim(conn: AsyncConnection, scope: str, key: str, print_: str) -> bool:
    """Insert the key's row, unanswered (status 0) until the command's answer replaces it
    in the same transaction; False when the key is taken. A twin's claim waits on the
    row's unique key until this transaction ends (PostgreSQL; SQLite's ``BEGIN
    IMMEDIATE`` already serialises writers), then finds the key taken — its recall, a
    statement of its own (READ COMMITTED: a new snapshot), reads the committed answer —
    or free if this transaction rolled back. One statement where an advisory lock and a
    read were two; no unanswered row is ever seen: it commits answered or not at all."""
    claim = upsert_statement(conn.dialect.name, idempotency_keys, ("scope", "key"), ())
    row = {
        "scope": scope,
        "key": key,
        "fingerprint": print_,
        "status_code": 0,
        "response": {},
        "created_at": datetime.now(UTC),
    }
    return (await conn.execute(claim, row)).rowcount == 1


async def _recall(conn: AsyncConnection, scope: str, key: str, print_: str) -> Outcome | None:
    row = (
        await conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.fingerprint != print_:
        raise IdempotencyKeyReused(key)
    return Outcome(row.response, created=row.status_code == 201, replayed=True)


async def scrub(conn: AsyncConnection, mentioning: str, rewrite: Callable[[Any], Any]) -> int:
    """Rewrite every stored answer whose text mentions ``mentioning`` — a person's id, when
    the person is erased: a replay of the key then answers what ``rewrite`` left of it, and
    the first answer is gone from the table. Returns how many answers changed.

    Scans the table (erasures are rare); the fingerprint of the request stays, so a retry
    of the same request is still recognised."""
    k = idempotency_keys.c
    rows = await conn.execute(
        select(k.scope, k.key, k.response).where(
            cast(k.response, String).contains(mentioning, autoescape=True)
        )
    )
    changed = 0
    for row in rows.all():
        scrubbed = rewrite(row.response)
        if scrubbed != row.response:
            await conn.execute(
                update(idempotency_keys)
                .where(k.scope == row.scope, k.key == row.key)
                .values(response=scrubbed)
            )
            changed += 1
    return changed
