"""Runs a projection against Kafka: as a consumer-group member, or as a one-off catch-up.

Offsets are committed to Kafka only after the database transaction that applied the
batch; the database's own offset record is what the consumer seeks to on assignment.
"""

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_contracts.topics import dead_letter_topic
from tuopin_eventkit import kafka, metrics
from tuopin_eventkit.projection import (
    DeadLetter,
    Parsed,
    Projection,
    apply,
    parse,
    reset,
    save_offset,
    stored_offsets,
)

log = logging.getLogger(__name__)

# Failures that say nothing about the event itself: retry later, never dead-letter.
TRANSIENT = (OperationalError, InterfaceError, OSError, asyncio.TimeoutError)


class ProjectionConsumer:
    def __init__(
        self,
        engine: AsyncEngine,
        projection: Projection,
        settings: kafka.KafkaSettings,
        max_records: int = 500,
    ) -> None:
        self.engine, self.projection, self.settings = engine, projection, settings
        self.max_records = max_records
        self._dlq: AIOKafkaProducer | None = None

    async def run(self) -> None:
        """Consume as a member of the projection's group until cancelled."""
        backoff = 0.5
        while True:
            consumer = kafka.consumer(self.settings, group_id=self.projection.name)
            consumer.subscribe(self.projection.topics, listener=_SeekToStored(self, consumer))
            try:
                await kafka.ensure_topics(self.settings, self.projection.topics)
                await consumer.start()
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                    for tp, records in batches.items():
                        await self._process(consumer, tp, records, in_group=True)
                        _record_lag(self.projection, consumer, tp, records)
                    backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s paused: %r", self.projection.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                await consumer.stop()
                await self._stop_dlq()

    async def catch_up(self) -> int:
        """Apply everything up to the partitions' current ends, then stop; count applied."""
        consumer = kafka.consumer(self.settings, group_id=None)
        await consumer.start()
        applied = 0
        try:
            await consumer.topics()  # fetch metadata
            partitions = [
                TopicPartition(topic, p)
                for topic in self.projection.topics
                for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
            consumer.assign(partitions)
            await self.seek_to_stored(consumer, partitions)
            ends = await consumer.end_offsets(partitions)
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                for tp, records in batches.items():
                    applied += await self._process(consumer, tp, records, in_group=False)
        finally:
            await consumer.stop()
            await self._stop_dlq()
        return applied

    async def rebuild(self) -> int:
        """Drop the read model and its checkpoint, then replay from the beginning."""
        await reset(self.engine, self.projection)
        return await self.catch_up()

    async def seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        stored = await stored_offsets(self.engine, self.projection)
        fresh = []
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                fresh.append(tp)
        if fresh:
            await consumer.seek_to_beginning(*fresh)

    async def _process(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord],
        in_group: bool,
    ) -> int:
        """Apply one partition's batch; dead letters first, then the database, then Kafka."""
        if not records:
            return 0
        next_offset = records[-1].offset + 1
        parsed: list[Parsed] = []
        for record in records:
            try:
                event = parse(self.projection, record)
            except DeadLetter as reason:
                await self._dead_letter(record, str(reason))
                continue
            if event is not None:
                parsed.append(event)
        try:
            try:
                async with self.engine.begin() as conn:
                    applied = await apply(conn, self.projection, parsed)
                    await save_offset(conn, self.projection, tp.topic, tp.partition, next_offset)
            except TRANSIENT:
                raise
            except Exception:
                applied = await self._isolate_poison(parsed)
                async with self.engine.begin() as conn:
                    await save_offset(conn, self.projection, tp.topic, tp.partition, next_offset)
        except BaseException:
            consumer.seek(tp, records[0].offset)  # nothing of this batch was kept
            raise
        metrics.EVENTS_CONSUMED.labels(self.projection.name, "applied").inc(applied)
        metrics.EVENTS_CONSUMED.labels(self.projection.name, "skipped").inc(len(records) - applied)
        if in_group:
            try:
                await consumer.commit({tp: next_offset})
            except CommitFailedError:  # rebalanced meanwhile; the database offset rules
                log.info("consumer %s: Kafka commit skipped after rebalance", self.projection.name)
        return applied

    async def _isolate_poison(self, parsed: Sequence[Parsed]) -> int:
        """Apply one event per transaction so a failing one is dead-lettered alone."""
        applied = 0
        for event in parsed:
            for attempt in (1, 2):  # a second try settles a race with another member
                try:
                    async with self.engine.begin() as conn:
                        applied += await apply(conn, self.projection, [event])
                    break
                except TRANSIENT:
                    raise
                except IntegrityError as exc:
                    if attempt == 2:
                        await self._dead_letter(event.record, f"handler failed: {exc!r}")
                except Exception as exc:
                    await self._dead_letter(event.record, f"handler failed: {exc!r}")
                    break
        return applied

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        log.error(
            "dead letter from %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason
        )
        if self._dlq is None:
            self._dlq = kafka.producer(self.settings)
            await self._dlq.start()
        headers = [
            ("error", reason.encode()[:4000]),
            ("consumer", self.projection.name.encode()),
            ("origin", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self._dlq.send_and_wait(
            dead_letter_topic(record.topic), record.value, key=record.key, headers=headers
        )
        metrics.EVENTS_CONSUMED.labels(self.projection.name, "dead_letter").inc()

    async def _stop_dlq(self) -> None:
        if self._dlq is not None:
            dlq, self._dlq = self._dlq, None
            await dlq.stop()


class _SeekToStored(ConsumerRebalanceListener):
    def __init__(self, runner: ProjectionConsumer, consumer: AIOKafkaConsumer) -> None:
        self.runner, self.consumer = runner, consumer

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self.runner.seek_to_stored(self.consumer, list(assigned))


def _record_lag(
    projection: Projection,
    consumer: AIOKafkaConsumer,
    tp: TopicPartition,
    records: Sequence[ConsumerRecord],
) -> None:
    highwater = consumer.highwater(tp)
    if highwater is not None and records:
        lag = highwater - (records[-1].offset + 1)
        metrics.CONSUMER_LAG.labels(projection.name, tp.topic, str(tp.partition)).set(lag)
