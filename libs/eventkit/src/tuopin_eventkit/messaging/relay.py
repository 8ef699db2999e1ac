"""The outbox relay: publishes the event store to the service's topic, in position order.

At least once, never skipping: the checkpoint advances only after the broker acknowledged
every event up to it. Position order implies per-stream order; the Kafka key is the stream
id, so one aggregate's events land on one partition in order. When the broker is down the
relay backs off and catches up later; appends never depend on it.

The checkpoint counts in one log (see ``generation.py``): with it the relay keeps the
cluster's id and, per partition, the last record it published there. When the log is not
the one it left — another cluster, a recreated topic (offsets handed out again), a record
gone — it republishes the whole store from position 1, so the topic again holds the full
history that consumers and rebuilds read. It checks when it connects, after every batch,
and every ``check_seconds`` while idle.

Only one relay per database publishes at a time: on PostgreSQL it holds a session-level
advisory lock (a lease) on a dedicated connection; SQLite is embedded, one process.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from aiokafka import AIOKafkaProducer
from sqlalchemy import Insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.envelope import KAFKA_HEADERS
from tuopin_eventkit import metrics
from tuopin_eventkit.batched import insert_for
from tuopin_eventkit.db import is_postgres, one_statement, read_only
from tuopin_eventkit.messaging.advances import until
from tuopin_eventkit.messaging.batches import Record, Written, send_all
from tuopin_eventkit.messaging.generation import (
    POSITION_HEADER,
    Anchor,
    fingerprint,
    missing_anchors,
)
from tuopin_eventkit.messaging.kafka import KafkaSettings, cluster_id, ensure_topics, producer
from tuopin_eventkit.store.recorded import RecordedEvent
from tuopin_eventkit.store.schema import relay_checkpoints
from tuopin_eventkit.store.store import EventStore

log = logging.getLogger(__name__)

RELAY_LEASE_KEY = 0x7265_6C79  # "rely"


@dataclass(frozen=True)
class Checkpoint:
    """How far the store is published, and into which log."""

    position: int = 0
    generation: str | None = None
    anchors: dict[int, Anchor] = field(default_factory=dict)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        store: EventStore,
        kafka: KafkaSettings,
        topic: str,
        name: str = "outbox",
        batch_size: int = 1000,
        idle_seconds: float = 0.5,
        check_seconds: float = 15.0,
    ) -> None:
        self.engine, self.store, self.kafka, self.topic = engine, store, kafka, topic
        self.name, self.batch_size, self.idle_seconds = name, batch_size, idle_seconds
        self.check_seconds = check_seconds
        self._producer: AIOKafkaProducer | None = None
        self._next_check = 0.0
        self._republishing: tuple[int, float] | None = None  # (head to reach, started)
        self._ahead: _Read | None = None  # the next batch, read while the last one was sent
        # The checkpoint as this relay last wrote it: while it holds the lease nobody else
        # writes it, so it is not read back before every batch.
        self._written: Checkpoint | None = None

    async def checkpoint(self) -> int:
        return (await self.state()).position

    async def state(self) -> Checkpoint:
        async with read_only(self.engine).connect() as conn:
            row = (
                await conn.execute(
                    select(relay_checkpoints).where(relay_checkpoints.c.relay == self.name)
                )
            ).first()
        if row is None:
            return Checkpoint()
        anchors = {int(p): Anchor(*a) for p, a in (row.anchors or {}).items()}
        return Checkpoint(int(row.position), row.generation, anchors)

    async def publish_pending(self) -> int:
        """Publish one batch after the checkpoint; return how many events went out."""
        kafka = await self._started_producer()
        state = self._written or await self.state()
        batch, head = await self._batch_after(state.position)
        metrics.EVENTS_STORED.labels(self.name).set(head)
        metrics.OUTBOX_LAG.labels(self.name).set(head - state.position)
        if not batch:
            return 0
        records = (
            (
                e.stream_id.encode(),
                e.wire(self.store.source),
                [*KAFKA_HEADERS, (POSITION_HEADER, str(e.position).encode())],
            )
            for e in batch
        )
        written = await self._send_reading_ahead(kafka, records, batch)
        anchors = dict(state.anchors)
        for partition, took in written.items():
            before = state.anchors.get(partition)
            if before is not None and took.first <= before.offset:
                # Offsets handed out again: the topic was recreated under us.
                reason = f"partition {partition} gave offset {took.first} again"
                await self._replace(state.generation, reason)
                return len(batch)
            anchors[partition] = Anchor(took.last, fingerprint(took.value))
        await self._write(Checkpoint(batch[-1].position, state.generation, anchors))
        metrics.EVENTS_PUBLISHED.labels(self.name).inc(len(batch))
        metrics.OUTBOX_LAG.labels(self.name).set(head - batch[-1].position)
        self._report_republish(batch[-1].position, len(batch))
        return len(batch)

    async def _batch_after(self, position: int) -> tuple[list[RecordedEvent], int]:
        """The events after ``position`` (read ahead if it was), and the store's head."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None and ahead.after == position and len(ahead.events) == self.batch_size:
            return ahead.events, ahead.head
        read = await self._read(position)
        return read.events, read.head

    async def _read(self, after: int) -> "_Read":
        async with read_only(self.engine).connect() as conn:
            events = await self.store.read_all(conn, after=after, limit=self.batch_size)
            # A batch short of full holds every event there is (positions are gap-free and
            # visible in order): its last is the head, without asking for it.
            if len(events) == self.batch_size:
                head = await self.store.head(conn)
            else:
                head = events[-1].position if events else after
            await conn.rollback()
        return _Read(after, events, head)

    async def _send_reading_ahead(
        self, kafka: AIOKafkaProducer, records: Iterable[Record], batch: list[RecordedEvent]
    ) -> dict[int, Written]:
        """Send the batch; while the broker takes it, read the next one if this one was full
        (more may be waiting). Events never change once stored, so what was read ahead
        stays true; the next batch takes it only if it starts where this one ends."""
        ahead = None
        if len(batch) == self.batch_size:
            ahead = asyncio.create_task(self._read(batch[-1].position))
            ahead.add_done_callback(_quietly)
        try:
            written = await send_all(kafka, self.topic, records)
        except BaseException:
            if ahead is not None:
                ahead.cancel()
            raise
        if ahead is not None:
            with contextlib.suppress(Exception):  # read again at the next batch
                self._ahead = await ahead
        return written

    async def check_log(self) -> None:
        """Republish the store if the log is not the one the checkpoint counts in."""
        self._next_check = time.monotonic() + self.check_seconds
        state = await self.state()
        current = await cluster_id(self.kafka)
        if state.position == 0:
            if state.generation != current:
                await self._reset(current)
            return
        if state.generation != current:
            reason = f"cluster {current}, not {state.generation or 'an unrecorded one'}"
        else:
            missing = await missing_anchors(self.kafka, self.topic, state.anchors)
            reason = "; ".join(f"partition {p}: {why}" for p, why in sorted(missing.items()))
        if reason:
            await self._replace(current, reason)

    async def _replace(self, generation: str | None, reason: str) -> None:
        async with read_only(self.engine).connect() as conn:
            head = await self.store.head(conn)
        log.warning(
            "relay %s: the log of %s is not the one it left (%s); republishing the event "
            "store from position 1 (%d events)",
            self.name,
            self.topic,
            reason,
            head,
        )
        metrics.RELAY_GENERATION.labels(self.name).inc()
        await self._reset(generation or await cluster_id(self.kafka))
        self._republishing = (head, time.monotonic())

    async def _reset(self, generation: str) -> None:
        await self._write(Checkpoint(0, generation), forward=False)

    def _report_republish(self, position: int, count: int) -> None:
        if self._republishing is None:
            return
        metrics.EVENTS_REPUBLISHED.labels(self.name).inc(count)
        head, started = self._republishing
        every = max(self.batch_size, head // 10)
        if position >= head:
            seconds = max(time.monotonic() - started, 1e-6)
            log.info(
                "relay %s: republished %d events into %s in %.1f s (%.0f events/s)",
                self.name,
                head,
                self.topic,
                seconds,
                head / seconds,
            )
            self._republishing = None
        elif position // every != (position - count) // every:
            log.info("relay %s: republished %d of %d events", self.name, position, head)

    async def _write(self, to: Checkpoint, forward: bool = True) -> None:
        """The checkpoint in one statement, its row written if missing; ``forward``: only
        if it moves on. A relay writes it after every batch, at low rates every append."""
        self._written = None  # unknown until written
        async with one_statement(self.engine).begin() as conn:
            await conn.execute(
                _checkpoint_statement(conn.dialect.name, forward),
                {
                    "relay": self.name,
                    "position": to.position,
                    "generation": to.generation,
                    "anchors": {str(p): [a.offset, a.fingerprint] for p, a in to.anchors.items()},
                    "updated_at": datetime.now(UTC),
                },
            )
        self._written = to

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            await ensure_topics(self.kafka, [self.topic])
            candidate = producer(self.kafka)
            try:
                await candidate.start()
                await self.check_log()  # a new connection: perhaps to another log
            except BaseException:
                await candidate.stop()
                raise
            self._producer = candidate
        return self._producer

    async def close(self) -> None:
        """Stop the producer; the next publish starts a fresh one (from the checkpoint as
        stored: this relay may have lost its lease meanwhile)."""
        self._written = None
        if self._producer is not None:
            stale, self._producer = self._producer, None
            await stale.stop()

    async def run(self) -> None:
        """Publish forever: drain, then wait for an append or the idle timeout."""
        async with _Lease(self.engine, self.name) as lease:
            backoff = 0.2
            try:
                while True:
                    if await lease.hold():  # taken anew: another relay may have written
                        self._written = None
                    try:
                        while await self.publish_pending() == self.batch_size:
                            pass
                        if time.monotonic() >= self._next_check:
                            await self.check_log()
                        backoff = 0.2
                    except Exception as exc:  # broker or database away: back off, retry
                        log.warning("relay %s paused: %r", self.name, exc)
                        await self.close()
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 5.0)
                        continue
                    self.store.appended.clear()
                    await until(self.store.appended, self.idle_seconds)
            finally:
                await self.close()


@lru_cache(maxsize=4)
def _checkpoint_statement(dialect: str, forward: bool) -> Insert:
    """A relay's checkpoint inserted or replaced (``forward``: only by a further one),
    built once: its values come as parameters."""
    stmt = insert_for(dialect)(relay_checkpoints)
    c, new = relay_checkpoints.c, stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=[c.relay],
        set_={name: new[name] for name in ("position", "generation", "anchors", "updated_at")},
        where=c.position < new.position if forward else None,
    )


@dataclass(frozen=True)
class _Read:
    after: int
    events: list[RecordedEvent]
    head: int


def _quietly(task: "asyncio.Task[_Read]") -> None:
    """A read ahead that failed or was dropped is read again: nothing to report."""
    if not task.cancelled():
        task.exception()


class _Lease:
    """Leadership among relays of one PostgreSQL database; trivially held on SQLite.

    The lease is a session-level advisory lock on a dedicated connection: it lasts exactly
    as long as that connection, so a crashed relay's lease frees itself.
    """

    def __init__(self, engine: AsyncEngine, name: str, check_seconds: float = 1.0) -> None:
        self.engine, self.name = engine, name
        self._conn: AsyncConnection | None = None
        self.check_seconds = check_seconds
        self._checked = 0.0  # when the lease's connection last answered

    async def __aenter__(self) -> "_Lease":
        return self

    async def hold(self) -> bool:
        """Return once this process holds the lease, True if it just took it. Its
        connection is asked whether it is still alive at most every ``check_seconds``, not
        before every batch (at low rates, every append): a lease lost meanwhile costs at
        most that long of events published twice, which consumers take once by their id."""
        if not is_postgres(self.engine):
            return False
        while True:
            try:
                if self._conn is not None:
                    if time.monotonic() - self._checked >= self.check_seconds:
                        await self._conn.execute(text("SELECT 1"))  # still ours while alive
                        await self._conn.commit()
                        self._checked = time.monotonic()
                    return False
                conn = await self.engine.connect()
                held = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:k, hashtext(:n))"),
                    {"k": RELAY_LEASE_KEY, "n": self.name},
                )
                await conn.commit()
                if held:
                    self._conn, self._checked = conn, time.monotonic()
                    return True
                await conn.close()
            except Exception as exc:
                log.warning("relay lease %s lost: %r", self.name, exc)
                await self.__aexit__()
            await asyncio.sleep(1.0)

    async def __aexit__(self, *exc: object) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # the connection is already gone, and the lease with it
                log.debug("relay lease connection already closed")
