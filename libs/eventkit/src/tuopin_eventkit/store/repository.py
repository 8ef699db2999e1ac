"""Loads and saves aggregates through the event store. An aggregate records the contracts'
events as they are; ``to_contract`` and ``to_domain`` translate for one that keeps its own
(evaluation's)."""

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData, catalogue
from tuopin_contracts.dates import business_date
from tuopin_eventkit.store.aggregate import Aggregate, NotFound
from tuopin_eventkit.store.recorded import RecordedEvent
from tuopin_eventkit.store.store import ConcurrencyConflict, EventStore, NewEvent

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

    async def existing(
        self, conn: AsyncConnection, aggregate_id: str, missing: str | None = None
    ) -> A:
        """The aggregate now, or NotFound with ``missing`` as the message."""
        aggregate = await self.get(conn, aggregate_id)
        if aggregate is None:
            raise NotFound(missing or f"no {self.stream_type} {aggregate_id}")
        return aggregate

    def replay(
        self,
        aggregate_id: str,
        recorded: Iterable[RecordedEvent],
        known_at: datetime | None = None,
        as_of: date | None = None,
    ) -> A | None:
        """The aggregate from its events read whole, as ``get`` finds it: those recorded by
        the instant ``known_at`` and true by the business date ``as_of``; None if none."""
        kept = sorted(
            (
                e
                for e in recorded
                if (known_at is None or e.recorded_at <= known_at)
                and (as_of is None or e.effective_date <= as_of)
            ),
            key=lambda e: e.version,
        )
        if not kept:
            return None
        return self.aggregate.replay(aggregate_id, map(self.domain_event, kept))

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
        if opening is None:
            aggregate = await self.existing(conn, aggregate_id, missing=missing)
        else:
            aggregate = await self.get(conn, aggregate_id) or opening()
        if expected is not None and expected != aggregate.version:
            raise ConcurrencyConflict(aggregate_id, expected, aggregate.version)
        answer = decide(aggregate)
        await self.save(conn, aggregate)
        return aggregate, answer

    async def save(self, conn: AsyncConnection, aggregate: A) -> list[RecordedEvent]:
        contract_events = [self.to_contract(e) for e in aggregate.pending]
        new = [NewEvent.of(e) for e in contract_events]
        expected = aggregate.version - len(new)
        recorded = await self.store.append(conn, self.stream_type, aggregate.id, expected, new)
        aggregate.pending.clear()
        return recorded
