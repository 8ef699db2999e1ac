"""How far behind a service is: the figures of ``tuopin <service> status`` and ``/metrics``.

- relay lag: events in the store (its head position) not yet published (the relay's
  checkpoint);
- consumer lag, per partition: a projection's stored next offset (the database is its
  checkpoint) against the partition's true end (see ``offsets.ends``); the intake's from the
  offsets its group committed to Kafka (it keeps no database offsets: idempotency keys are
  its dedupe);
- dead letters: messages on each DLQ of the topics the service consumes — every
  consumer's of that topic, as the DLQ is shared.
"""

import asyncio
import logging
import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aiokafka import TopicPartition

from tuopin_contracts.topics import dead_letter_topic
from tuopin_eventkit import metrics
from tuopin_eventkit.db import read_only
from tuopin_eventkit.messaging import dlq, kafka, offsets
from tuopin_eventkit.store.checkpoint import StoredOffset, stored_offsets

if TYPE_CHECKING:
    from tuopin_eventkit.web.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RelayLag:
    relay: str
    topic: str
    stored: int  # the event store's head position
    published: int  # the relay's checkpoint
    lag: int
    generation: str | None  # the cluster its checkpoint counts in (see generation.py)


@dataclass(frozen=True)
class ConsumerLag:
    consumer: str
    topic: str
    partition: int
    position: int  # the next offset it will read
    end: int
    lag: int
    checkpoint: str  # where the position comes from: "database" or "kafka"
    generation: str | None = None  # the cluster a stored offset was taken in


@dataclass(frozen=True)
class DeadLetterDepth:
    topic: str
    depth: int


@dataclass
class Status:
    service: str
    cluster: str | None = None  # the id of the cluster reached now: the current generation
    relay: RelayLag | None = None
    consumers: list[ConsumerLag] = field(default_factory=list)
    dead_letters: list[DeadLetterDepth] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what could not be reached

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def gather(runtime: "Runtime", timeout: float | None = None) -> Status:
    """The service's figures from its database and the broker. What cannot be reached is
    named in ``errors`` and the rest is still reported."""
    spec, settings = runtime.spec, runtime.settings.kafka
    timeout = timeout if timeout is not None else settings.request_timeout_ms / 1000
    status = Status(spec.name)
    stored: dict[str, dict[tuple[str, int], StoredOffset]] = {}
    try:
        relay = runtime.relay()
        if relay is not None:
            async with read_only(runtime.engine).connect() as conn:
                head = await runtime.store.head(conn)
            state = await relay.state()
            lag = head - state.position
            status.relay = RelayLag(
                relay.name, relay.topic, head, state.position, lag, state.generation
            )
        for projection in spec.subscriptions:
            stored[projection.name] = await stored_offsets(runtime.engine, projection)
    except Exception as exc:
        status.errors.append(f"database: {exc!r}")
    try:
        status.cluster = await asyncio.wait_for(kafka.cluster_id(settings), timeout)
        broker = _from_broker(runtime, stored, timeout / 2)
        status.consumers, status.dead_letters = await asyncio.wait_for(broker, timeout)
    except Exception as exc:
        status.errors.append(f"broker: {exc!r}")
    return status


async def _from_broker(
    runtime: "Runtime", stored: dict[str, dict[tuple[str, int], StoredOffset]], wait: float
) -> tuple[list[ConsumerLag], list[DeadLetterDepth]]:
    """Consumer lags and DLQ depths; ``wait``: how long to wait for a high watermark."""
    spec, settings = runtime.spec, runtime.settings.kafka
    consumed = dlq.consumed_topics(spec)
    dead = [dead_letter_topic(t) for t in consumed]
    lags: list[ConsumerLag] = []
    depths: list[DeadLetterDepth] = []
    async with offsets.reader(settings) as consumer:
        tps = await offsets.partitions(consumer, [*consumed, *dead])
        ends = await offsets.ends(consumer, tps, wait)
        starts = await offsets.starts(consumer, tps)
    for projection in spec.subscriptions:
        if projection.name not in stored:
            continue  # the database was not reached
        for tp in tps:
            if tp.topic in projection.topics:
                # No stored offset yet: the projection starts at the beginning.
                kept = stored[projection.name].get((tp.topic, tp.partition))
                position = starts[tp] if kept is None else kept.next_offset
                lag = _lag(projection.name, tp, position, ends[tp], "database")
                lags.append(replace(lag, generation=None if kept is None else kept.generation))
    if spec.intake is not None:
        intake = str(spec.intake.topic)
        group = f"{spec.name}.intake"  # as IntakeConsumer names its group
        committed = await _committed(settings, group, [tp for tp in tps if tp.topic == intake])
        for tp, at in committed.items():
            start = starts[tp] if at is None else at
            lags.append(_lag(group, tp, start, ends[tp], "kafka"))
    for topic in dead:
        here = [tp for tp in tps if tp.topic == topic]
        if here:
            depths.append(DeadLetterDepth(topic, sum(ends[tp] - starts[tp] for tp in here)))
    return lags, depths


def _lag(consumer: str, tp: TopicPartition, position: int, end: int, source: str) -> ConsumerLag:
    lag = max(0, end - position)
    return ConsumerLag(consumer, tp.topic, tp.partition, position, end, lag, source)


async def _committed(
    settings: kafka.KafkaSettings, group: str, tps: list[TopicPartition]
) -> dict[TopicPartition, int | None]:
    """The offsets a consumer group committed (without joining it)."""
    if not tps:
        return {}
    consumer = kafka.consumer(settings, group_id=group)
    await consumer.start()
    try:
        return {tp: await consumer.committed(tp) for tp in tps}
    finally:
        await consumer.stop()


def publish(status: Status) -> None:
    """Set the Prometheus gauges from the figures."""
    if status.relay is not None:
        metrics.EVENTS_STORED.labels(status.relay.relay).set(status.relay.stored)
        metrics.OUTBOX_LAG.labels(status.relay.relay).set(status.relay.lag)
    for lag in status.consumers:
        metrics.CONSUMER_LAG.labels(lag.consumer, lag.topic, str(lag.partition)).set(lag.lag)
    for depth in status.dead_letters:
        metrics.DEAD_LETTERS.labels(depth.topic).set(depth.depth)


class MetricsRefresh:
    """Brings the gauges up to date when ``/metrics`` is scraped, at most once every
    ``metrics_refresh_seconds`` (a setting) and bounded by ``timeout``: scrapes stay cheap,
    and the figures are right even while a consumer is stuck (its own gauge moves only when
    it makes progress) or a service only reads. Unreachable parts keep their last values."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._last = float("-inf")
        self._lock = asyncio.Lock()

    async def __call__(self, runtime: "Runtime") -> None:
        async with self._lock:
            if time.monotonic() - self._last < runtime.settings.metrics_refresh_seconds:
                return
            self._last = time.monotonic()
            status = await gather(runtime, self.timeout)
            for error in status.errors:
                log.warning("metrics refresh of %s: %s", runtime.spec.name, error)
            publish(status)
