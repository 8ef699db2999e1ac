"""Group commit: concurrent appends share one transaction, one statement, one commit.

Appends are serialised by the store's lock anyway, so N writers appending one event each
pay N lock hand-overs, N round trips and N commit flushes one after the other. Here
each caller queues its append and awaits its own result; one flusher at a time takes
everything queued and appends it with ``EventStore.append_each`` — one statement on
PostgreSQL, in one transaction — then commits once and answers every caller. A stream
whose expected version is off fails only its own caller (``ConcurrencyConflict``); its
batch-mates are appended. Should the statement fail as a whole (a writer outside this
process got in between, met by the unique index), the batch is retried one by one, so
again only the conflicting caller fails.

For appends that are the whole unit of work (events decided outside the transaction).
A command that writes more in its transaction (idempotency records, read models of its
own, a vault row) keeps ``EventStore.append`` in its own transaction.
"""

import asyncio
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import context
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.store.recorded import RecordedEvent
from tuopin_eventkit.store.store import (
    Append,
    ConcurrencyConflict,
    EventStore,
    NewEvent,
)

Waiting = tuple[Append, "asyncio.Future[list[RecordedEvent]]"]


class GroupCommit:
    def __init__(self, engine: AsyncEngine, store: EventStore, max_batch: int = 500) -> None:
        self.engine, self.store, self.max_batch = engine, store, max_batch
        self._queue: list[Waiting] = []
        self._flusher: asyncio.Task[None] | None = None

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
    ) -> list[RecordedEvent]:
        """Append and commit; returns once committed (the caller reads its own writes)."""
        future: asyncio.Future[list[RecordedEvent]] = asyncio.get_running_loop().create_future()
        append = Append(stream_type, stream_id, expected_version, new_events, context.current())
        self._queue.append((append, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch = self._take()
            try:
                await self._commit(batch)
            except Exception as exc:  # the database failed: every caller of the batch hears
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)

    def _take(self) -> list[Waiting]:
        """Up to ``max_batch`` queued appends, each stream once (a second append to a
        stream waits for the next batch: it was decided on the first one's outcome)."""
        batch: list[Waiting] = []
        streams: set[str] = set()
        rest: list[Waiting] = []
        for waiting in self._queue:
            stream = waiting[0].stream_id
            if stream in streams or len(batch) == self.max_batch:
                rest.append(waiting)
            else:
                streams.add(stream)
                batch.append(waiting)
        self._queue = rest
        return batch

    async def _commit(self, batch: list[Waiting]) -> None:
        try:
            async with self.engine.connect() as conn:
                if is_postgres(conn) and not self.store.inline:
                    # One statement, its own transaction: no BEGIN, no COMMIT round trip.
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                outcomes = await self.store.append_each(conn, [w[0] for w in batch])
                await conn.commit()
        except ConcurrencyConflict:  # the statement failed as a whole: one by one
            await self._one_by_one(batch)
            return
        self.store.notify()
        for append, future in batch:
            outcome = outcomes[append.stream_id]
            if future.done():  # its caller gave up waiting
                continue
            if isinstance(outcome, ConcurrencyConflict):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    async def _one_by_one(self, batch: list[Waiting]) -> None:
        for append, future in batch:
            try:
                async with self.engine.begin() as conn:
                    recorded = await self.store.append_many(conn, [append])
                self.store.notify()
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(recorded)
