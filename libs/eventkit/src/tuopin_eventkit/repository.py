"""Loads and saves aggregates through the event store, translating domain ↔ contract events."""

from collections.abc import Callable, Iterable
from dataclasses import asdict
from datetime import date, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData, catalogue
from tuopin_contracts.dates import business_date
from tuopin_eventkit.aggregate import Aggregate, NotFound
from tuopin_eventkit.store import ConcurrencyConflict, EventStore, NewEvent, RecordedEvent

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


class Repository(Generic[A]):
    def __init__(
        self,
        store: EventStore,
        stream_type: str,
        aggregate: type[A],
        to_contract: Callable[[Any], EventData] = lambda event: event,
        to_domain: Callable[[EventData], Any] = lambda event: event,
    ) -> None:
        self.store, self.stream_type, self.aggregate = store, stream_type, aggregate
        self.to_contract, self.to_domain = to_contract, to_domain

    def domain_event(self, recorded: RecordedEvent) -> Any:
        day = business_date(recorded.recorded_at)
        return self.to_domain(catalogue.read(recorded.type, recorded.data, day))

    async def get(
        self,
        conn: AsyncConnection,
        aggregate_id: str,
        known_at: datetime | None = None,
        as_of: date | None = None,
    ) -> A | None:
        """The aggregate now; or as it stood on the business date ``as_of`` (the facts true
        by then), as recorded by the instant ``known_at`` (the audit view). Either or both."""
        recorded = await self.store.load(conn, aggregate_id, known_at, as_of)
        if not recorded:
            return None
        return self.aggregate.replay(aggregate_id, map(self.domain_event, recorded))

    async def change(
        self,
        conn: AsyncConnection,
        aggregate_id: str,
        decide: Callable[[A], T],
        *,
        expected: int | None = None,
        missing: str | None = None,
        opening: Callable[[], A] | None = None,
    ) -> tuple[A, T]:
        """The one command loop: load the aggregate, refuse a stale ``If-Match`` version,
        let the pure ``decide`` record its events (or refuse), save them. Absent, it is
        made by ``opening`` when given (a first contribution opens a fund), else NotFound
        with ``missing`` as the message."""
        aggregate = await self.get(conn, aggregate_id)
        if aggregate is None:
            if opening is None:
                raise NotFound(missing or f"no {self.stream_type} {aggregate_id}")
            aggregate = opening()
        if expected is not None and expected != aggregate.version:
            raise ConcurrencyConflict(aggregate_id, expected, aggregate.version)
        answer = decide(aggregate)
        await self.save(conn, aggregate)
        return aggregate, answer

    async def save(self, conn: AsyncConnection, aggregate: A) -> list[RecordedEvent]:
        contract_events = [self.to_contract(e) for e in aggregate.pending]
        new = [NewEvent(type=e.TYPE, data=e.model_dump(mode="json")) for e in contract_events]
        expected = aggregate.version - len(new)
        recorded = await self.store.append(conn, self.stream_type, aggregate.id, expected, new)
        aggregate.pending.clear()
        return recorded


class EventMap:
    """Domain events ↔ contract events, field for field: the same facts, one in plain
    dataclasses (what the domain records), one on the wire."""

    def __init__(self, pairs: Iterable[tuple[type, type[EventData]]]) -> None:
        self.contract_of = dict(pairs)
        self.domain_of = {wire: own for own, wire in self.contract_of.items()}

    def to_contract(self, event: Any) -> EventData:
        return self.contract_of[type(event)].model_validate(asdict(event))

    def to_domain(self, event: EventData) -> Any:
        return _adapter(self.domain_of[type(event)]).validate_python(event.model_dump(mode="json"))

    def repository(self, store: EventStore, stream_type: str, aggregate: type[A]) -> Repository[A]:
        return Repository(store, stream_type, aggregate, self.to_contract, self.to_domain)


@cache
def _adapter(kind: type) -> TypeAdapter[Any]:
    return TypeAdapter(kind)
