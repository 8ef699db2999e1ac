"""The event store: append with an expected version, read a stream, read the global feed.

Appends are serialised by a lock held until commit: on PostgreSQL the row of
``events_head`` (the last position handed out), which an append updates; SQLite's
``BEGIN IMMEDIATE`` write lock. Positions are handed out from that row under that lock,
so they are gap-free (a rolled-back append rolls the row back too) and become visible
strictly in position order: a reader that has seen position N can never later find N-1
appear. That is what lets the outbox relay follow a simple ``position > checkpoint``
cursor without skipping an event committed out of order.

On PostgreSQL an append is one statement (one round trip): check the expected versions,
take the lock and the positions, insert (``_APPEND``). Its version check reads the
snapshot taken when the statement began, before it waited for the lock; a writer that
committed in between is caught by the unique (stream, version) index instead — a
conflict either way, never a lost write.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic_core import to_json
from sqlalchemy import Text, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_eventkit import context
from tuopin_eventkit.batched import executemany
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.store.projection import Projection, project_inline
from tuopin_eventkit.store.recorded import RecordedEvent, recorded_events
from tuopin_eventkit.store.schema import events, events_head

# Check, lock, number and insert in one statement. ``appends`` are the streams with their
# expected versions; ``rows`` the new events in order. With ``partial`` the streams whose
# version is off are left out (the others are appended); without, nothing is appended
# if any is off. The head row is only updated (locked) when something is appended.
_APPEND = text(
    """
WITH appends AS (
    SELECT a.stream_id, a.expected,
           coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = a.stream_id), 0)
               AS actual
    FROM unnest(CAST(:streams AS text[]), CAST(:expected AS int[])) AS a(stream_id, expected)
), ok AS (
    SELECT stream_id FROM appends WHERE actual = expected
), rows AS (
    SELECT r.*, row_number() OVER (ORDER BY r.n) AS k
    FROM unnest(CAST(:event_ids AS uuid[]), CAST(:stream_types AS text[]),
                CAST(:stream_ids AS text[]), CAST(:versions AS int[]),
                CAST(:types AS text[]), CAST(:datas AS text[]),
                CAST(:correlation_ids AS text[]), CAST(:causation_ids AS text[]),
                CAST(:actors AS text[]))
         WITH ORDINALITY AS r(event_id, stream_type, stream_id, version, type, data,
                              correlation_id, causation_id, actor, n)
    WHERE r.stream_id IN (SELECT stream_id FROM ok)
      AND (CAST(:partial AS boolean) OR (SELECT count(*) FROM ok) = cardinality(:streams))
), head AS (
    UPDATE events_head SET position = position + (SELECT count(*) FROM rows)
    WHERE id = 1 AND EXISTS (SELECT 1 FROM rows)
    RETURNING position - (SELECT count(*) FROM rows) AS base
)
INSERT INTO events (position, event_id, stream_type, stream_id, version, type, data,
                    recorded_at, correlation_id, causation_id, actor)
SELECT head.base + rows.k, rows.event_id, rows.stream_type, rows.stream_id, rows.version,
       rows.type, CAST(rows.data AS jsonb), :recorded_at, rows.correlation_id,
       rows.causation_id, rows.actor
FROM head, rows
RETURNING stream_id, position
"""
)


# SQLite's insert, built once: its compiled form is cached (see ``batched.executemany``).
# The payload bound as the JSON text ``_json`` writes, not through the column's JSON type
# (``json.dumps``, a third of an import's append).
_INSERT = insert(events).values(data=bindparam("data_json", type_=Text))


# The feed's query, built once: the relay reads it after every append at low rates.
_FEED = (
    select(events)
    .where(events.c.position > bindparam("after"))
    .order_by(events.c.position)
    .limit(bindparam("limit"))
)


def _json(data: dict[str, Any]) -> str:
    """An event's payload as stored: compact JSON, written by pydantic-core (its
    ``mode="json"`` dump holds only JSON's own types), several times faster than
    ``json.dumps``."""
    return to_json(data).decode()


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream first; reload and decide again (HTTP 409)."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id} is at version {actual}, the command expected {expected}"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


@dataclass(frozen=True)
class NewEvent:
    """An event about to be appended: its versioned type and JSON-ready payload."""

    type: str
    data: dict[str, Any]
    event_id: UUID = field(default_factory=uuid4)
    # The typed event ``data`` was dumped from (see ``of``): inline projections take it
    # as it is instead of validating ``data`` back into it, half an import's filing.
    payload: EventData | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, event: EventData) -> "NewEvent":
        """The contract event as it is appended, keeping the event itself."""
        return cls(type=event.TYPE, data=event.model_dump(mode="json"), payload=event)


@dataclass(frozen=True)
class Append:
    """New events for one stream, decided on ``expected_version``."""

    stream_type: str
    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]
    # Who caused it; the current context's when not given (group commit passes each
    # caller's own).
    provenance: context.Provenance | None = None


class EventStore:
    """The service's own stream of facts, identified on the wire by ``source``."""

    def __init__(self, source: str, inline: Sequence[Projection] = ()) -> None:
        self.source = source
        self.inline = inline  # read models updated in the appending transaction
        # Set after each append so an in-process relay wakes at once instead of polling.
        self.appended = asyncio.Event()

    async def append(
        self,
        conn: AsyncConnection,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
    ) -> list[RecordedEvent]:
        """Append to a stream inside the caller's transaction; commit releases the lock."""
        return await self.append_many(
            conn, [Append(stream_type, stream_id, expected_version, new_events)]
        )

    async def append_many(
        self, conn: AsyncConnection, appends: Sequence["Append"]
    ) -> list[RecordedEvent]:
        """Append to many streams at once (bulk filing, imports): one version check, one
        insert; all or nothing, like a single append."""
        done = await self._append(conn, appends, partial=False)
        recorded: list[RecordedEvent] = []
        for a in appends:
            outcome = done.get(a.stream_id)
            if isinstance(outcome, ConcurrencyConflict):
                raise outcome
            if a.events:
                assert outcome is not None  # every stream appended to has its events back
                recorded += outcome
        return recorded

    async def append_each(
        self, conn: AsyncConnection, appends: Sequence["Append"]
    ) -> dict[str, list[RecordedEvent] | ConcurrencyConflict]:
        """Append to many streams in one statement, each on its own: a stream whose
        expected version is off gets its ``ConcurrencyConflict`` and the others are
        appended (group commit, see groupcommit.py). By stream id."""
        return await self._append(conn, appends, partial=True)

    async def _append(
        self, conn: AsyncConnection, appends: Sequence["Append"], partial: bool
    ) -> dict[str, list[RecordedEvent] | ConcurrencyConflict]:
        appends = [a for a in appends if a.events]
        if not appends:
            return {}
        ids = [a.stream_id for a in appends]
        if len(set(ids)) != len(ids):
            raise ValueError("an append takes each stream once")
        here = context.current()
        now = datetime.now(UTC)
        rows: list[dict[str, Any]] = [
            {
                "event_id": new.event_id,
                "stream_type": a.stream_type,
                "stream_id": a.stream_id,
                "version": version,
                "type": new.type,
                "data": new.data,
                "recorded_at": now,
                "correlation_id": (a.provenance or here).correlation_id,
                "causation_id": (a.provenance or here).causation_id,
                "actor": (a.provenance or here).actor,
            }
            for a in appends
            for version, new in enumerate(a.events, start=a.expected_version + 1)
        ]
        try:
            if is_postgres(conn):
                first = await self._insert_postgres(conn, appends, rows, partial)
            else:
                first = await self._insert_sqlite(conn, appends, rows, partial)
        except IntegrityError as exc:  # committed between our snapshot and our lock
            raise ConcurrencyConflict(ids[0], appends[0].expected_version, -1) from exc
        by_stream: dict[str, list[dict[str, Any]]] = {}  # one pass: a batch has thousands
        for r in rows:
            by_stream.setdefault(r["stream_id"], []).append(r)
        done: dict[str, list[RecordedEvent] | ConcurrencyConflict] = {}
        recorded: list[RecordedEvent] = []
        position = None
        for a in appends:
            mine = by_stream[a.stream_id]
            if a.stream_id not in first:
                done[a.stream_id] = ConcurrencyConflict(a.stream_id, a.expected_version, -1)
                continue
            position = first[a.stream_id]
            stream = [RecordedEvent(position=position + i, **r) for i, r in enumerate(mine)]
            done[a.stream_id] = stream
            recorded += stream
        refused = [c for c in done.values() if isinstance(c, ConcurrencyConflict)]
        if refused:  # say which version the stream is at (still the snapshot's)
            actual = await self._versions(conn, [c.stream_id for c in refused])
            for c in refused:
                done[c.stream_id] = ConcurrencyConflict(
                    c.stream_id, c.expected, actual.get(c.stream_id, 0)
                )
            if all(actual.get(c.stream_id, 0) == c.expected for c in refused):
                raise RuntimeError("events_head has no row: the kernel's migrations did not run")
        if recorded and self.inline:
            new = [n for a in appends for n in a.events]
            payloads = {n.event_id: n.payload for n in new if n.payload is not None}
            await project_inline(
                conn,
                self.inline,
                sorted(recorded, key=lambda e: e.position),
                self.source,
                payloads,
            )
        return done

    async def _insert_postgres(
        self,
        conn: AsyncConnection,
        appends: Sequence["Append"],
        rows: list[dict[str, Any]],
        partial: bool,
    ) -> dict[str, int]:
        """One statement; the first position of each stream appended."""
        result = await conn.execute(
            _APPEND,
            {
                "streams": [a.stream_id for a in appends],
                "expected": [a.expected_version for a in appends],
                "event_ids": [r["event_id"] for r in rows],
                "stream_types": [r["stream_type"] for r in rows],
                "stream_ids": [r["stream_id"] for r in rows],
                "versions": [r["version"] for r in rows],
                "types": [r["type"] for r in rows],
                "datas": [_json(r["data"]) for r in rows],
                "correlation_ids": [r["correlation_id"] for r in rows],
                "causation_ids": [r["causation_id"] for r in rows],
                "actors": [r["actor"] for r in rows],
                "partial": partial,
                "recorded_at": rows[0]["recorded_at"],
            },
        )
        positions: dict[str, int] = {}
        for stream_id, position in result.all():
            positions[stream_id] = min(position, positions.get(stream_id, position))
        return positions

    async def _insert_sqlite(
        self,
        conn: AsyncConnection,
        appends: Sequence["Append"],
        rows: list[dict[str, Any]],
        partial: bool,
    ) -> dict[str, int]:
        """SQLite holds its write lock already (``BEGIN IMMEDIATE``): statements are cheap
        in-process calls, so plainly: check, number, insert."""
        actual = await self._versions(conn, [a.stream_id for a in appends])
        ok = {a.stream_id for a in appends if actual.get(a.stream_id, 0) == a.expected_version}
        if not partial and len(ok) < len(appends):
            return {}
        rows = [r for r in rows if r["stream_id"] in ok]
        if not rows:
            return {}
        base = int(
            await conn.scalar(
                update(events_head)
                .where(events_head.c.id == 1)
                .values(position=events_head.c.position + len(rows))
                .returning(events_head.c.position)
            )
        ) - len(rows)
        positions: dict[str, int] = {}
        numbered = []
        for k, r in enumerate(rows, start=base + 1):
            positions.setdefault(r["stream_id"], k)
            row = {**r, "position": k, "data_json": _json(r["data"])}
            del row["data"]  # bound as ``data_json``
            numbered.append(row)
        await executemany(conn, _INSERT, numbered)
        return positions

    async def _versions(self, conn: AsyncConnection, ids: list[str]) -> dict[str, int]:
        query = (
            select(events.c.stream_id, func.max(events.c.version))
            .where(events.c.stream_id.in_(ids))
            .group_by(events.c.stream_id)
        )
        return {stream: version for stream, version in (await conn.execute(query)).all()}

    async def rewrite(
        self,
        conn: AsyncConnection,
        stream_id: str,
        change: Callable[[str, dict[str, Any]], dict[str, Any] | None],
    ) -> int:
        """For erasure only: rewrite stored events of one stream in place — same id,
        position, time and type — where ``change(type, data)`` returns new data (None
        leaves the event). The log is immutable otherwise; a person's erasure may still
        blank what of them an event says in clear. Copies already published are not
        recalled: the erasure event tells consumers to forget. Returns how many changed."""
        rows = await conn.execute(
            select(events.c.position, events.c.type, events.c.data).where(
                events.c.stream_id == stream_id
            )
        )
        changed = 0
        for row in rows.all():
            data = change(row.type, row.data)
            if data is not None and data != row.data:
                await conn.execute(
                    update(events).where(events.c.position == row.position).values(data=data)
                )
                changed += 1
        return changed

    async def lock_appends(self, conn: AsyncConnection) -> None:
        """Hold the append lock until this transaction ends, before an append (to check
        uniqueness first, or replay under it); SQLite's BEGIN IMMEDIATE holds it already."""
        if is_postgres(conn):
            await conn.execute(
                select(events_head.c.position).where(events_head.c.id == 1).with_for_update()
            )

    def notify(self) -> None:
        """Call after the appending transaction committed."""
        self.appended.set()

    async def head(self, conn: AsyncConnection) -> int:
        return int(await conn.scalar(select(func.coalesce(func.max(events.c.position), 0))) or 0)

    async def load(
        self,
        conn: AsyncConnection,
        stream_id: str,
        known_at: datetime | None = None,
        as_of: date | None = None,
    ) -> list[RecordedEvent]:
        """One stream in version order. ``known_at`` keeps what had been recorded by that
        instant (the audit view); ``as_of`` keeps the facts true by that business date."""
        query = select(events).where(events.c.stream_id == stream_id)
        if known_at is not None:  # in UTC, as stored: SQLite compares the text as written
            query = query.where(events.c.recorded_at <= known_at.astimezone(UTC))
        result = await conn.execute(query.order_by(events.c.version))
        recorded = recorded_events(result)
        if as_of is not None:
            recorded = [e for e in recorded if e.effective_date <= as_of]
        return recorded

    async def read_all(self, conn: AsyncConnection, after: int, limit: int) -> list[RecordedEvent]:
        """The global feed: events with position > ``after``, in position order."""
        return recorded_events(await conn.execute(_FEED, {"after": after, "limit": limit}))
