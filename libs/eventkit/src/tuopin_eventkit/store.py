"""The event store: append with an expected version, read a stream, read the global feed.

Appends are serialised by a lock held until commit (a PostgreSQL transaction-level
advisory lock; SQLite's ``BEGIN IMMEDIATE`` write lock). Positions are taken as
``max(position) + 1`` under that lock, so they are gap-free and become visible strictly
in position order: a reader that has seen position N can never later find N-1 appear.
That is what lets the outbox relay follow a simple ``position > checkpoint`` cursor
without skipping an event committed out of order.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import Envelope, catalogue
from tuopin_contracts.dates import business_date
from tuopin_eventkit import context
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.projection import Projection, project_inline
from tuopin_eventkit.schema import events

# An arbitrary constant naming the append lock among PostgreSQL advisory locks.
APPEND_LOCK_KEY = 0x7475_6F70  # "tuop"


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


@dataclass(frozen=True)
class Append:
    """New events for one stream, decided on ``expected_version``."""

    stream_type: str
    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    event_id: UUID
    stream_type: str
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    actor: str | None

    @property
    def effective_date(self) -> date:
        """The business date: the one its type names in the payload, else the recording day."""
        model = catalogue.model_for(self.type)
        named = model.EFFECTIVE if model else None
        if named and self.data.get(named):
            return date.fromisoformat(self.data[named])
        return business_date(self.recorded_at)

    def envelope(self, source: str) -> Envelope:
        return Envelope(
            id=self.event_id,
            source=source,
            type=self.type,
            subject=self.stream_id,
            time=self.recorded_at,
            effectivedate=self.effective_date,
            data=self.data,
            sequence=self.version,
            correlationid=self.correlation_id,
            causationid=self.causation_id,
            actor=self.actor,
        )


def _recorded(row: Any) -> RecordedEvent:
    values = dict(row._mapping)
    if values["recorded_at"].tzinfo is None:  # SQLite keeps no zone; we only ever store UTC
        values["recorded_at"] = values["recorded_at"].replace(tzinfo=UTC)
    return RecordedEvent(**values)


def _head() -> Any:
    return select(func.coalesce(func.max(events.c.position), 0)).scalar_subquery()


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
        appends = [a for a in appends if a.events]
        if not appends:
            return []
        await self.lock_appends(conn)
        ids = [a.stream_id for a in appends]
        if len(set(ids)) != len(ids):
            raise ValueError("append_many takes each stream once")
        actual = dict(
            (
                await conn.execute(
                    select(events.c.stream_id, func.max(events.c.version))
                    .where(events.c.stream_id.in_(ids))
                    .group_by(events.c.stream_id)
                )
            ).all()
        )
        for a in appends:
            if actual.get(a.stream_id, 0) != a.expected_version:
                raise ConcurrencyConflict(
                    a.stream_id, a.expected_version, actual.get(a.stream_id, 0)
                )
        position = await self.head(conn)
        provenance = context.current()
        now = datetime.now(UTC)
        rows = []
        for a in appends:
            for version, new in enumerate(a.events, start=a.expected_version + 1):
                position += 1
                rows.append(
                    {
                        "position": position,
                        "event_id": new.event_id,
                        "stream_type": a.stream_type,
                        "stream_id": a.stream_id,
                        "version": version,
                        "type": new.type,
                        "data": new.data,
                        "recorded_at": now,
                        "correlation_id": provenance.correlation_id,
                        "causation_id": provenance.causation_id,
                        "actor": provenance.actor,
                    }
                )
        try:
            await conn.execute(insert(events), rows)
        except IntegrityError as exc:  # a writer that bypassed the lock; never overwrite
            raise ConcurrencyConflict(
                appends[0].stream_id, appends[0].expected_version, -1
            ) from exc
        recorded = [RecordedEvent(**row) for row in rows]
        if self.inline:
            await project_inline(conn, self.inline, recorded, self.source)
        return recorded

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
        """Hold the append lock until this transaction ends (SQLite: BEGIN IMMEDIATE holds it)."""
        if is_postgres(conn):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})

    def notify(self) -> None:
        """Call after the appending transaction committed."""
        self.appended.set()

    async def head(self, conn: AsyncConnection) -> int:
        return int(await conn.scalar(select(_head())))

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
        recorded = [_recorded(row) for row in result]
        if as_of is not None:
            recorded = [e for e in recorded if e.effective_date <= as_of]
        return recorded

    async def read_all(self, conn: AsyncConnection, after: int, limit: int) -> list[RecordedEvent]:
        """The global feed: events with position > ``after``, in position order."""
        result = await conn.execute(
            select(events).where(events.c.position > after).order_by(events.c.position).limit(limit)
        )
        return [_recorded(row) for row in result]
