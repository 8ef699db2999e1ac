"""Runs a projection against Kafka: as a consumer-group member, or as a one-off catch-up.

Offsets are committed to Kafka only after the database transaction that applied the
batch; the database's own offset record is what the consumer seeks to on assignment.

A catch-up (and so a rebuild) can report its progress: a callback gets ``(done, total)``
after every batch, where ``total`` is the number of messages between the positions it
started from and the partitions' ends found at the start (see ``offsets.Ends``), and ``done`` how
many of those it has read (applied, skipped as not its concern or as duplicates, or
dead-lettered).
"""

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import metrics
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.advances import Advances, until
from tuopin_eventkit.messaging.failures import DeadLetters, retry_later
from tuopin_eventkit.messaging.generation import LogGuard, fingerprint, position_of, reach
from tuopin_eventkit.messaging.lag import Lag
from tuopin_eventkit.messaging.offsets import Ends
from tuopin_eventkit.outage import transient
from tuopin_eventkit.store.checkpoint import (
    StoredOffset,
    forget_offset,
    has_applied,
    reset,
    save_offset,
    stored_offsets,
)
from tuopin_eventkit.store.projection import (
    DeadLetter,
    Parsed,
    Projection,
    Reaction,
    apply,
    by_handler,
    parse,
)
from tuopin_eventkit.store.statistics import Statistics

log = logging.getLogger(__name__)

# Called as ``progress(done, total)``: messages read so far, of those there were to read.
ProgressCallback = Callable[[int, int], None]


class RebuildRefused(Exception):
    """A rebuild that would replay less than the read model already holds; nothing changed."""


class ProjectionConsumer:
    """Feeds a projection (or a reaction) from Kafka, resuming where its database says.

    Offsets count in one log (see ``generation.py``): resuming, the consumer first checks
    that the log is the one it left (same cluster, the record before its offset unchanged)
    and reads a replaced one from the beginning, its dedupe keeping every event applied
    once. ``notify`` is called after a batch that applied events committed (a reaction's
    store wakes its relay); ``advances`` is told of every batch committed (it wakes a
    reaction of the same process waiting for this read model)."""

    read_model_poll_seconds = 0.1  # a reaction's look at its read model's offsets

    def __init__(
        self,
        engine: AsyncEngine,
        projection: Projection,
        settings: kafka.KafkaSettings,
        max_records: int = 500,
        notify: Callable[[], None] | None = None,
        recheck_seconds: float = 30.0,
        catch_up_records: int = 5000,
        advances: Advances | None = None,
    ) -> None:
        self.engine, self.projection, self.settings = engine, projection, settings
        self.advances = advances or Advances()
        self.max_records, self.notify, self.recheck_seconds = max_records, notify, recheck_seconds
        # A catch-up (a rebuild above all) takes bigger batches: nobody waits on one event
        # there, and each partition's batch is a transaction with its dedupe lookup and
        # offset — at 500 a fetch, a replay spent most of its time on those.
        self.catch_up_records = catch_up_records
        self.commit_seconds = 1.0  # how often Kafka is told the offsets (``lag.Lag``)
        self.generation: str | None = None
        self.guard = LogGuard()
        self._dead_letters = DeadLetters(settings, projection.name)
        self.statistics = Statistics(engine, projection)

    async def run(self) -> None:
        """Consume as a member of the projection's group until cancelled."""
        backoff = 0.5
        while True:
            consumer = kafka.consumer(self.settings, group_id=self.projection.name)
            lag = Lag(consumer, self.projection.name, self.commit_seconds)
            consumer.subscribe(self.projection.topics, listener=_SeekToStored(self, consumer, lag))
            try:
                await kafka.ensure_topics(self.settings, self.projection.topics)
                await consumer.start()
                recheck_at = time.monotonic() + self.recheck_seconds
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=self.max_records)
                    try:
                        for tp, records in batches.items():
                            await self._process(consumer, tp, records, lag)
                            lag.fetched(tp, records)
                    except Exception as exc:
                        if not transient(exc):
                            raise
                        backoff = await retry_later(
                            consumer, batches, self.projection.name, exc, backoff
                        )
                        continue
                    await lag.commit()
                    await self._watch_ends(consumer, list(consumer.assignment()))
                    if time.monotonic() >= recheck_at:  # a topic recreated under us?
                        self.guard.recheck(consumer, list(consumer.assignment()))
                        recheck_at = time.monotonic() + self.recheck_seconds
                    backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s paused: %r", self.projection.name, exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
            finally:
                await lag.now()
                await consumer.stop()
                await self._dead_letters.stop()

    async def catch_up(
        self,
        progress: ProgressCallback | None = None,
        between_batches: Callable[[], object] | None = None,
    ) -> int:
        """Apply everything up to the partitions' ends as found at the start, then stop;
        count applied. ``progress``, if given, is called with ``(done, total)`` messages
        once every partition's end is known and then after every batch; ``between_batches``
        after every fetch that brought messages, once they are applied."""
        # Fetches at the end of a partition come back after 100 ms, not the default 500.
        consumer = kafka.consumer(self.settings, group_id=None, fetch_max_wait_ms=100)
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
            starts = {tp: await consumer.position(tp) for tp in partitions}
            ends = Ends(consumer, await consumer.end_offsets(partitions), self.settings)
            reported: tuple[int, int] | None = None
            while True:
                ends.learn()
                await self._watch_ends(consumer, partitions)
                positions = {tp: await consumer.position(tp) for tp in partitions}
                if progress is not None and ends.complete:
                    now = ends.progress(starts, positions)
                    if now != reported:
                        progress(*now)
                        reported = now
                settled = ends.complete and not self.guard.expected
                if settled and all(positions[tp] >= ends[tp] for tp in partitions):
                    break
                batches = await consumer.getmany(timeout_ms=100, max_records=self.catch_up_records)
                for tp, records in batches.items():
                    applied += await self._process(consumer, tp, records, lag=None)
                if batches and between_batches is not None:
                    between_batches()
            if applied:
                await self.statistics.analyze()
        finally:
            await consumer.stop()
            await self._dead_letters.stop()
        return applied

    async def rebuild(self, progress: ProgressCallback | None = None) -> int:
        """Drop the read model and its checkpoint, then replay from the beginning — after
        making sure the topics still hold everything it had applied (``RebuildRefused``)."""
        if isinstance(self.projection, Reaction):
            raise RebuildRefused(
                f"{self.projection.name} is a reaction: what it did is in the event store "
                "and is never done again"
            )
        await self.check_complete()
        await reset(self.engine, self.projection)
        with _collecting_between_batches() as collect:
            return await self.catch_up(progress, between_batches=collect)

    async def check_complete(self) -> None:
        """Refuse (``RebuildRefused``) when a topic lost its first records or reaches less
        far into its producer's history than this read model already did."""
        stored = await stored_offsets(self.engine, self.projection)
        name = self.projection.name
        for topic in self.projection.topics:
            held = await reach(self.settings, topic)
            applied = max(
                (s.position or 0 for (t, _), s in stored.items() if t == topic), default=0
            )
            if not held.starts_at_zero:
                raise RebuildRefused(
                    f"{topic} no longer starts at its first record (retention or deletion "
                    f"dropped some): rebuilding {name} from it would lose them. Nothing changed."
                )
            short = applied > (held.last_position or 0)
            if short or (held.records == 0 and await has_applied(self.engine, self.projection)):
                raise RebuildRefused(
                    f"{topic} reaches position {held.last_position or 0} of its producer's "
                    f"event store, but {name} has already applied events up to position "
                    f"{applied or 'unknown'}: the log is incomplete (a new broker that the "
                    "producer's relay has not yet republished to?). Start the producer and let "
                    "its relay catch up (`tuopin <service> status`), then rebuild. "
                    "Nothing changed."
                )

    async def seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        """Resume each partition where the database says, if the log is still that one."""
        self.generation = await kafka.cluster_id(self.settings)
        stored = await stored_offsets(self.engine, self.projection)
        for tp in partitions:
            self.guard.forget(tp)
            offset = stored.get((tp.topic, tp.partition))
            if offset is None or offset.next_offset == 0:
                await consumer.seek_to_beginning(tp)
            elif offset.generation != self.generation or offset.anchor is None:
                taken_in = offset.generation or "an unrecorded log"
                await self._restart(consumer, tp, f"its offset was taken in {taken_in}")
            else:
                self.guard.resume(consumer, tp, offset.next_offset, offset.anchor)

    async def _restart(self, consumer: AIOKafkaConsumer, tp: TopicPartition, why: str) -> None:
        """Read a replaced log from the beginning; dedupe skips what was applied."""
        log.warning(
            "consumer %s: %s/%d is not the log it left (%s); reading it from the beginning",
            self.projection.name,
            tp.topic,
            tp.partition,
            why,
        )
        metrics.LOG_RESETS.labels(self.projection.name, tp.topic).inc()
        self.guard.forget(tp)
        await forget_offset(self.engine, self.projection, tp.topic, tp.partition, self.generation)
        await consumer.seek_to_beginning(tp)

    async def _watch_ends(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        for tp in partitions:
            position = await consumer.position(tp)
            if self.guard.beyond_end(consumer, tp, position):
                await self._restart(consumer, tp, f"it ends at {consumer.highwater(tp)}")

    async def _process(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord],
        lag: Lag | None,
    ) -> int:
        """Apply one partition's batch; dead letters first, then the database, then (in a
        group) its offset is Kafka's to be told."""
        if not records:
            return 0
        admitted = self.guard.admit(tp, records)
        if admitted is None:
            await self._restart(consumer, tp, "the record before its offset is gone or changed")
            return 0
        if not admitted:
            return 0
        records = admitted
        next_offset = records[-1].offset + 1
        offset = StoredOffset(
            next_offset,
            self.generation,
            fingerprint(records[-1].value),
            max((p for r in records if (p := position_of(r)) is not None), default=None),
        )
        parsed: list[Parsed] = []
        for record in records:
            try:
                event = parse(self.projection, record)
            except DeadLetter as reason:
                await self._dead_letter(record, str(reason))
                continue
            if event is not None:
                parsed.append(event)
        parsed = by_handler(parsed)
        try:
            await self._await_read_model(tp, next_offset)
            try:
                async with self.engine.begin() as conn:
                    applied = await apply(conn, self.projection, parsed)
                    await save_offset(conn, self.projection, tp.topic, tp.partition, offset)
            except Exception as exc:
                if transient(exc):  # says nothing about the events: take them again later
                    raise
                applied = await self._isolate_poison(parsed)
                async with self.engine.begin() as conn:
                    await save_offset(conn, self.projection, tp.topic, tp.partition, offset)
        except BaseException:
            self.guard.forget(tp)
            consumer.seek(tp, records[0].offset)  # nothing of this batch was kept
            raise
        self.advances.advanced(self.projection.name)
        if applied and self.notify is not None:
            self.notify()
        await self.statistics.grew(applied)
        metrics.EVENTS_CONSUMED.labels(self.projection.name, "applied").inc(applied)
        metrics.EVENTS_CONSUMED.labels(self.projection.name, "skipped").inc(len(records) - applied)
        if lag is not None:
            lag.applied(tp, next_offset)
        return applied

    async def _await_read_model(self, tp: TopicPartition, next_offset: int) -> None:
        """A reaction reading a read model waits until that one has applied this batch."""
        after = getattr(self.projection, "after", None)
        if after is None:
            return
        waited_since = time.monotonic()
        while True:
            advanced = self.advances.next(after)
            done = (await stored_offsets(self.engine, after)).get((tp.topic, tp.partition))
            if done is not None and done.generation == self.generation:
                if done.next_offset >= next_offset:
                    return
            if time.monotonic() - waited_since > 30:
                log.info("%s waits for %s to reach %s", self.projection.name, after, tp)
                waited_since = time.monotonic()
            await until(advanced, self.read_model_poll_seconds)

    async def _isolate_poison(self, parsed: Sequence[Parsed]) -> int:
        """Apply one event per transaction so a failing one is dead-lettered alone."""
        applied = 0
        for event in parsed:
            for attempt in (1, 2):  # a second try settles a race with another member
                try:
                    async with self.engine.begin() as conn:
                        applied += await apply(conn, self.projection, [event])
                    break
                except Exception as exc:
                    if transient(exc):
                        raise
                    if not isinstance(exc, IntegrityError) or attempt == 2:
                        await self._dead_letter(event.record, f"handler failed: {exc!r}")
                        break
        return applied

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        await self._dead_letters.send(record, reason)


@contextmanager
def _collecting_between_batches() -> Iterator[Callable[[], int]]:
    """Python's cycle collector between batches only, for the length of a rebuild; what it
    yields collects.

    A replay allocates millions of objects that live for one batch of thousands of
    events. At the default thresholds the collector ran every 700 allocations and went
    over the batch's objects and the whole program's (the service's modules and caches)
    again and again: a third of a rebuild's CPU. Frozen out of collection, the program's
    objects are no longer gone over; but even every 100,000 allocations, the collector
    still went over a batch's live objects some sixty times in a rebuild of 50,000
    events (5% of its CPU). Between batches, those are gone: reference counting freed
    them, and a full collection there goes over what little outlives a batch, and frees
    any cycle a batch left, so memory stays bounded."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield gc.collect
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self, runner: ProjectionConsumer, consumer: AIOKafkaConsumer, lag: Lag) -> None:
        self.runner, self.consumer, self.lag = runner, consumer, lag

    async def on_partitions_revoked(self, revoked: object) -> None:
        await self.lag.now()  # while the partitions are still this member's

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        await self.runner.seek_to_stored(self.consumer, list(assigned))  # another log?
