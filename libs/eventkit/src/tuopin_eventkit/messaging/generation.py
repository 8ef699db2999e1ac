"""Log generations: noticing that a Kafka log is not the one a relay or consumer left.

The event store is the truth and the broker a transport that can be replaced: an in-memory
broker restarted, a topic deleted and recreated, a cluster rebuilt from a backup, records
dropped by retention. An offset means something only in the log it was taken from, so
every offset the kernel keeps goes with

- its **generation**, the id of the cluster it was taken in (another cluster, another
  log: the embedded broker gets a new id at every start), and
- an **anchor**: the offset of the last record read or written there and a fingerprint of
  that record. The log is still the one left as long as that record is still there,
  unchanged; a recreated topic or a restored backup fails that test even in the same
  cluster.

What follows a replaced log is the caller's: the relay republishes the whole event store
into it from position 1; a consumer reads it again from the beginning and its dedupe of
event ids keeps every event applied once.
"""

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from tuopin_eventkit.messaging import kafka

log = logging.getLogger(__name__)

# Each record the relay publishes carries the event's position in its store, so a reader
# can tell how far into the producer's history a log reaches (see ``reach``).
POSITION_HEADER = "tuopin-position"


def fingerprint(value: bytes | None) -> str:
    return hashlib.sha256(value or b"").hexdigest()[:32]


def position_of(record: ConsumerRecord) -> int | None:
    for name, value in record.headers:
        if name == POSITION_HEADER:
            return int(value)
    return None


@dataclass(frozen=True)
class Anchor:
    """The last record one read or wrote in a partition: where, and what it was."""

    offset: int
    fingerprint: str

    @classmethod
    def of(cls, record: ConsumerRecord) -> "Anchor":
        return cls(record.offset, fingerprint(record.value))


class LogGuard:
    """A consumer's check that it reads on in the log it left.

    Resuming from a stored offset, the consumer first re-reads the record before it (the
    anchor): if that record is gone or different, the log was replaced and ``admit``
    answers ``None``. ``recheck`` does the same for a running consumer now and then (a
    topic recreated under it gives no other sign), and ``beyond_end`` catches a position
    past the end of the log, where some brokers (Tansu) answer fetches with nothing
    rather than OffsetOutOfRange."""

    def __init__(self) -> None:
        self.expected: dict[TopicPartition, Anchor] = {}
        self.last: dict[TopicPartition, Anchor] = {}

    def resume(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int, anchor: str
    ) -> None:
        self.expect(consumer, tp, Anchor(next_offset - 1, anchor))

    def recheck(self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> None:
        for tp in partitions:
            if tp in self.last and tp not in self.expected:
                self.expect(consumer, tp, self.last[tp])

    def expect(self, consumer: AIOKafkaConsumer, tp: TopicPartition, anchor: Anchor) -> None:
        consumer.seek(tp, anchor.offset)
        self.expected[tp] = anchor

    def forget(self, tp: TopicPartition) -> None:
        self.expected.pop(tp, None)
        self.last.pop(tp, None)

    def admit(
        self, tp: TopicPartition, records: Sequence[ConsumerRecord]
    ) -> Sequence[ConsumerRecord] | None:
        """The records still to process, or ``None`` when the log is not the one left."""
        anchor = self.expected.pop(tp, None)
        if anchor is not None:
            if Anchor.of(records[0]) != anchor:
                self.last.pop(tp, None)
                return None
            records = records[1:]  # read before; it only proved the log
        if records:
            self.last[tp] = Anchor.of(records[-1])
        return records

    def beyond_end(self, consumer: AIOKafkaConsumer, tp: TopicPartition, position: int) -> bool:
        highwater = consumer.highwater(tp)
        if highwater is None:
            return False
        anchor = self.expected.get(tp)
        return position > highwater or (anchor is not None and highwater <= anchor.offset)


async def missing_anchors(
    settings: kafka.KafkaSettings, topic: str, anchors: dict[int, Anchor], timeout: float = 15.0
) -> dict[int, str]:
    """Why each partition's anchor is not in the log, by partition (empty: all found).
    Raises TimeoutError when the broker did not answer for some partition in time."""
    if not anchors:
        return {}
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        existing = await _partitions(consumer, topic)
        missing = {p: "the partition is gone" for p in anchors if p not in existing}
        pending = {TopicPartition(topic, p): a for p, a in anchors.items() if p in existing}
        consumer.assign(list(pending))
        for tp, anchor in pending.items():
            consumer.seek(tp, anchor.offset)
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer for {sorted(pending)} of {topic}")
            batches = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batches.items():
                sent = pending.pop(tp, None)
                if sent is not None and Anchor.of(records[0]) != sent:
                    missing[tp.partition] = f"offset {sent.offset} holds another record"
            for tp, anchor in list(pending.items()):
                highwater = consumer.highwater(tp)
                if highwater is not None and highwater <= anchor.offset:
                    missing[tp.partition] = f"the log ends at {highwater}, before {anchor.offset}"
                    del pending[tp]
        return missing
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class Reach:
    """How much of its producer's history a topic holds."""

    starts_at_zero: bool  # no partition has lost its first records (retention, deletion)
    records: int  # how many records the topic holds
    last_position: int | None  # the highest store position among its last records


async def reach(settings: kafka.KafkaSettings, topic: str, timeout: float = 15.0) -> Reach:
    """Read the first offset and the last records of every partition of ``topic``."""
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        if not partitions:
            return Reach(True, 0, None)
        consumer.assign(partitions)
        starts = await consumer.beginning_offsets(partitions)
        listed = await consumer.end_offsets(partitions)
        # Tansu lists the end as its last batch's base offset + 1: from there, the last
        # batch; fetch responses then tell the true end (the high watermark).
        for tp in partitions:
            consumer.seek(tp, max(starts[tp], listed[tp] - 1))
        ends: dict[TopicPartition, int] = {}
        last: int | None = None
        deadline = time.monotonic() + timeout
        while len(ends) < len(partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end known for some partitions of {topic}")
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    position = position_of(record)
                    if position is not None:
                        last = max(last or 0, position)
            for tp in partitions:
                highwater = consumer.highwater(tp)
                if highwater is not None and await consumer.position(tp) >= highwater:
                    ends[tp] = highwater
        return Reach(
            starts_at_zero=all(starts[tp] == 0 for tp in partitions),
            records=sum(ends[tp] - starts[tp] for tp in partitions),
            last_position=last,
        )
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer.topics()  # fetch metadata
    return set(consumer.partitions_for_topic(topic) or ())
