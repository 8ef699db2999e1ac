"""Projections: read models fed by events from Kafka, applied exactly once in effect.

A batch of messages from one partition is applied in one database transaction together
with (a) the ids of the events it applied — so a redelivered event is recognised and
skipped — and (b) the next offset to read. The database, not Kafka, is the checkpoint:
on assignment the consumer seeks to the stored offset (or the beginning), so wiping a
read model and its checkpoint replays it from zero. Kafka offsets are committed after the
database commit too, for lag monitoring (at most once a second: ``messaging.lag``).

Offsets are kept with the log they were taken in (see ``generation.py``): a consumer that
finds its log replaced reads the new one from the beginning, and the dedupe keeps every
event applied once.

A message that cannot be parsed, has an unknown type, or whose handler fails goes to
``<topic>.dlq`` with the reason and its original bytes; the partition keeps flowing.

Handlers take a run of consecutive events of their type at once, so a replay writes a
read model in a few statements per batch rather than one per event; order is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from aiokafka import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import (
    ARRAY,
    DateTime,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts import Envelope, EventData, catalogue, wire
from tuopin_contracts.topics import owner_source
from tuopin_eventkit import context
from tuopin_eventkit.batched import executemany, rows_in
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.store.recorded import RecordedEvent
from tuopin_eventkit.store.schema import processed_events

if TYPE_CHECKING:
    from tuopin_eventkit.store.store import EventStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivered:
    """One event handed to a handler: its envelope and its typed payload (newest version).
    The envelope's ``data`` is the payload as sent: a dict, or its model when the message
    was read in one pass (``wire.read``); handlers read ``data``, never it."""

    envelope: Envelope
    data: Any

    def provenance(self) -> AbstractContextManager[None]:
        """Run what this event causes (e.g. appending new events) under its provenance."""
        env = self.envelope
        return context.caused_by(env.correlationid, str(env.id), env.actor)


Handler = Callable[[AsyncConnection, Sequence[Delivered]], Awaitable[None]]


@dataclass
class Projection:
    """A named read model: which event types it handles and which tables it owns."""

    name: str
    tables: Sequence[Table]
    handlers: dict[type[EventData], Handler] = field(default_factory=dict)

    def on(self, model: type[EventData]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.handlers[model] = handler
            return handler

        return register

    @property
    def topics(self) -> list[str]:
        return sorted({str(model.TOPIC) for model in self.handlers})


@dataclass
class Reaction(Projection):
    """A process manager (policy): another service's event causing a command here — an
    exit verdict exiting a household, an exit put on notice being judged.

    Consumed and deduplicated like a projection, so each source event is handled once;
    what it does is appended to this service's own event store (``store``, the service's)
    and so is history, not a read model: a rebuild never runs it again. ``after`` names a
    read model of this service the reaction reads: each batch waits until that read model
    has applied it (they consume the same partitions)."""

    tables: Sequence[Table] = ()
    after: str | None = None


class DeadLetter(Exception):
    """A message this projection can never apply; it goes to the DLQ with this reason."""


class Parsed(NamedTuple):
    """A message taken in: the event its handler will get, made once. A tuple, not a
    frozen dataclass, whose every field is set through ``object.__setattr__``: there is
    one for each message of a replay."""

    record: ConsumerRecord
    delivered: Delivered
    handler: Handler


def parse(projection: Projection, record: ConsumerRecord) -> Parsed | None:
    """The message as a typed event for this projection, ``None`` if not its concern.

    Only the topic's owner may speak on it: an envelope whose ``source`` is not the owner's,
    or whose type the owner does not publish, is a forgery (or a misrouted event) and a
    dead letter, whatever handler would have taken it.

    Read in one pass when it can be (``wire.read``); otherwise the envelope first, then its
    payload, which also says why a message is refused."""
    read = wire.read(record.value)
    if read is None:
        try:
            envelope = Envelope.from_json(record.value)
        except (ValidationError, ValueError, TypeError) as exc:
            raise DeadLetter(f"not a valid CloudEvents envelope: {exc}") from exc
    else:
        envelope = read[0]
    owner = owner_source(record.topic)
    if envelope.source != owner:
        raise DeadLetter(
            f"source {envelope.source} is not {owner or 'a producer'}, the owner of {record.topic}"
        )
    model = catalogue.model_for(envelope.type)
    if model is None:
        raise DeadLetter(f"unknown event type {envelope.type}")
    if model.TOPIC != record.topic:
        raise DeadLetter(f"{envelope.type} belongs on {model.TOPIC}, not on {record.topic}")
    try:
        if read is None:
            payload = catalogue.read_recorded_at(envelope.type, envelope.data, envelope.time)
        else:
            payload = catalogue.upcast(read[1], envelope.time)
    except ValidationError as exc:
        raise DeadLetter(f"invalid {envelope.type} payload: {exc}") from exc
    handler = projection.handlers.get(type(payload))
    if handler is None:
        return None
    return Parsed(record, Delivered(envelope, payload), handler)


_MARK_PROCESSED = processed_events.insert()
# PostgreSQL: a batch's ids from one source as one array, the rest of the row the same for
# all, rather than a row of four parameters for each event (see ``rows_in``).
_MARK_ALL_PROCESSED = processed_events.insert().from_select(
    ["consumer", "source", "event_id", "processed_at"],
    select(
        bindparam("consumer", type_=String),
        bindparam("source", type_=String),
        func.unnest(bindparam("ids", type_=ARRAY(String))),
        bindparam("at", type_=DateTime(timezone=True)),
    ),
)
_SEEN = select(processed_events.c.event_id).where(
    processed_events.c.consumer == bindparam("consumer"),
    processed_events.c.source == bindparam("source"),
    processed_events.c.event_id.in_(bindparam("ids", expanding=True)),
)


async def apply(conn: AsyncConnection, projection: Projection, events: Sequence[Parsed]) -> int:
    """Apply events not yet processed by this projection; return how many were new."""
    if not events:
        return 0
    keys = [(e.delivered.envelope.source, str(e.delivered.envelope.id)) for e in events]
    seen: set[tuple[str, str]] = set()
    for source, ids in _by_source(keys).items():
        # The whole key (consumer, source, event_id), so that the primary key's index is
        # used: without the source, the lookup scanned every event the consumer had
        # applied, for every batch — a replay slowing down as it went.
        params = {"consumer": projection.name, "source": source}
        seen_rows = await rows_in(conn, _SEEN, params, "ids", ids)
        seen.update((source, event_id) for (event_id,) in seen_rows)
    fresh: list[Parsed] = []
    marks: list[tuple[str, str]] = []
    for event, key in zip(events, keys, strict=True):
        if key not in seen:
            seen.add(key)
            fresh.append(event)
            marks.append(key)
    for handler, run in groupby(fresh, key=lambda e: e.handler):
        await handler(conn, [e.delivered for e in run])
    await _mark_processed(conn, projection.name, marks)
    return len(fresh)


async def _mark_processed(
    conn: AsyncConnection, consumer: str, keys: Sequence[tuple[str, str]]
) -> None:
    """The events applied, by (source, id): a redelivery of any is skipped."""
    now = datetime.now(UTC)
    if is_postgres(conn):
        for source, ids in _by_source(keys).items():
            params = {"consumer": consumer, "source": source, "ids": ids, "at": now}
            await conn.execute(_MARK_ALL_PROCESSED, params)
        return
    rows = [
        {"consumer": consumer, "source": source, "event_id": event_id, "processed_at": now}
        for source, event_id in keys
    ]
    await executemany(conn, _MARK_PROCESSED, rows)


def _by_source(keys: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for source, event_id in keys:
        ids.setdefault(source, []).append(event_id)
    return ids


async def update_each(
    conn: AsyncConnection,
    table: Table,
    events: Sequence[Delivered],
    values: Callable[[Any, datetime], Mapping[str, Any]],
) -> None:
    """Each event's ``values`` (of its data and its recording instant) set, in order, on
    the row its field named as the table's key names."""
    (key,) = table.primary_key.columns
    for e in events:
        row = key == str(getattr(e.data, key.name))
        await conn.execute(update(table).where(row).values(values(e.data, e.envelope.time)))


def by_handler(events: Sequence[Parsed]) -> list[Parsed]:
    """The batch regrouped so that each handler gets long runs, keeping the order of every
    key's events — all the order Kafka itself keeps (keys in different partitions arrive
    in any interleaving, so no projection may depend on the order across keys).

    An event's rank is how many events of its key come before it in the batch; events are
    ordered by rank, then by handler (in order of first appearance), then as they came. A
    replay that interleaves households (registration, income, assistance, income, …)
    thus reaches each handler with hundreds of events at once rather than one or two.
    """
    if len(events) < 2:
        return list(events)
    seen: dict[bytes | None, int] = {}
    handlers: dict[object, int] = {}
    keyed = []
    for index, event in enumerate(events):
        key = event.record.key
        rank = seen[key] = seen.get(key, -1) + 1
        handler = handlers.setdefault(event.handler, len(handlers))
        keyed.append((rank, handler, index))
    return [events[index] for _, _, index in sorted(keyed)]


async def project_inline(
    conn: AsyncConnection,
    projections: Sequence[Projection],
    recorded: Sequence[RecordedEvent],
    source: str,
    payloads: Mapping[UUID, EventData] | None = None,
) -> None:
    """Apply a service's own new events to its inline read models, in the appending
    transaction: the read model can never disagree with the event store. ``payloads``
    are the typed events the appender dumped, by event id: taken as they are (what
    reading their data back would give) unless their type is upcast on read."""
    delivered = [
        Delivered(e.envelope(source), _payload(e, payloads.get(e.event_id) if payloads else None))
        for e in recorded
    ]
    for projection in projections:
        mine = [d for d in delivered if type(d.data) in projection.handlers]
        for handler, run in groupby(mine, key=lambda d: projection.handlers[type(d.data)]):
            await handler(conn, list(run))


def _payload(event: RecordedEvent, known: EventData | None) -> EventData:
    if known is not None and known.TYPE not in catalogue.upcasters:
        return known
    return catalogue.read_recorded_at(event.type, event.data, event.recorded_at)


async def rebuild_inline(
    engine: AsyncEngine, store: EventStore, projection: Projection, page: int = 5000
) -> int:
    """Wipe an inline read model and replay the whole event store into it, under the
    append lock so no new event slips between the replay and the live updates."""
    applied = 0
    async with engine.begin() as conn:
        await store.lock_appends(conn)
        for table in projection.tables:
            await conn.execute(delete(table))
        after = 0
        while batch := await store.read_all(conn, after, page):
            await project_inline(conn, [projection], batch, store.source)
            applied += len(batch)
            after = batch[-1].position
    return applied
