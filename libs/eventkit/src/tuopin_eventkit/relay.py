"""The outbox relay: publishes the event store to the service's topic, in position order.

At least once, never skipping: the checkpoint advances only after the broker acknowledged
every event up to it. Position order implies per-stream order; the Kafka key is the stream
id, so one aggregate's events land on one partition in order. When the broker is down the
relay backs off and catches up later; appends never depend on it.

Only one relay per database publishes at a time: on PostgreSQL it holds a session-level
advisory lock (a lease) on a dedicated connection; SQLite is embedded, one process.
"""

import asyncio
import logging
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_eventkit import metrics
from tuopin_eventkit.db import is_postgres, read_only, upsert
from tuopin_eventkit.kafka import KafkaSettings, ensure_topics, producer
from tuopin_eventkit.schema import relay_checkpoints
from tuopin_eventkit.store import EventStore

log = logging.getLogger(__name__)

RELAY_LEASE_KEY = 0x7265_6C79  # "rely"


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
    ) -> None:
        self.engine, self.store, self.kafka, self.topic = engine, store, kafka, topic
        self.name, self.batch_size, self.idle_seconds = name, batch_size, idle_seconds
        self._producer: AIOKafkaProducer | None = None

    async def checkpoint(self) -> int:
        async with read_only(self.engine).connect() as conn:
            row = await conn.scalar(
                select(relay_checkpoints.c.position).where(relay_checkpoints.c.relay == self.name)
            )
        return int(row or 0)

    async def publish_pending(self) -> int:
        """Publish one batch after the checkpoint; return how many events went out."""
        after = await self.checkpoint()
        async with read_only(self.engine).connect() as conn:
            batch = await self.store.read_all(conn, after=after, limit=self.batch_size)
            head = await self.store.head(conn)
            await conn.rollback()
        metrics.EVENTS_STORED.labels(self.name).set(head)
        metrics.OUTBOX_LAG.labels(self.name).set(head - after)
        if not batch:
            return 0
        kafka = await self._started_producer()
        sent = [
            await kafka.send(
                self.topic, e.envelope(self.store.source).to_json(), key=e.stream_id.encode()
            )
            for e in batch
        ]
        await asyncio.gather(*sent)
        async with self.engine.begin() as conn:
            await self._advance(conn, batch[-1].position)
        metrics.EVENTS_PUBLISHED.labels(self.name).inc(len(batch))
        metrics.OUTBOX_LAG.labels(self.name).set(head - batch[-1].position)
        return len(batch)

    async def _advance(self, conn: AsyncConnection, position: int) -> None:
        now = datetime.now(UTC)
        await upsert(
            conn,
            relay_checkpoints,
            {"relay": self.name, "position": 0, "updated_at": now},
            keys=["relay"],
        )
        await conn.execute(
            update(relay_checkpoints)
            .where(relay_checkpoints.c.relay == self.name)
            .where(relay_checkpoints.c.position < position)
            .values(position=position, updated_at=now)
        )

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            await ensure_topics(self.kafka, [self.topic])
            candidate = producer(self.kafka)
            try:
                await candidate.start()
            except BaseException:
                await candidate.stop()
                raise
            self._producer = candidate
        return self._producer

    async def close(self) -> None:
        """Stop the producer; the next publish starts a fresh one."""
        if self._producer is not None:
            stale, self._producer = self._producer, None
            await stale.stop()

    async def run(self) -> None:
        """Publish forever: drain, then wait for an append or the idle timeout."""
        async with _Lease(self.engine, self.name) as lease:
            backoff = 0.2
            try:
                while True:
                    await lease.hold()
                    try:
                        while await self.publish_pending() == self.batch_size:
                            pass
                        backoff = 0.2
                    except Exception as exc:  # broker or database away: back off, retry
                        log.warning("relay %s paused: %r", self.name, exc)
                        await self.close()
                        await asyncio.sleep(backoff)
                        backoff = min(backoff * 2, 5.0)
                        continue
                    self.store.appended.clear()
                    try:
                        await asyncio.wait_for(self.store.appended.wait(), self.idle_seconds)
                    except TimeoutError:
                        pass
            finally:
                await self.close()


class _Lease:
    """Leadership among relays of one PostgreSQL database; trivially held on SQLite.

    The lease is a session-level advisory lock on a dedicated connection: it lasts exactly
    as long as that connection, so a crashed relay's lease frees itself.
    """

    def __init__(self, engine: AsyncEngine, name: str) -> None:
        self.engine, self.name = engine, name
        self._conn: AsyncConnection | None = None

    async def __aenter__(self) -> "_Lease":
        return self

    async def hold(self) -> None:
        """Return once this process holds the lease (re-checked before each batch)."""
        if not is_postgres(self.engine):
            return
        while True:
            try:
                if self._conn is not None:
                    await self._conn.execute(text("SELECT 1"))  # still ours while alive
                    await self._conn.commit()
                    return
                conn = await self.engine.connect()
                held = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:k, hashtext(:n))"),
                    {"k": RELAY_LEASE_KEY, "n": self.name},
                )
                await conn.commit()
                if held:
                    self._conn = conn
                    return
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
