"""Where partitions begin and really end, for the operator's views (status, dead letters)
and for a catch-up (``Ends``).

On Apache Kafka a ListOffsets answer is the end of a partition. The embedded Tansu broker
answers ListOffsets with the base offset of the partition's last record batch plus one —
short of the end once a producer sends batches — while its fetch responses carry the true
high watermark. So the end of a partition here is the larger of the two, the high
watermark learned by fetching once at the listed end (``Ends`` learns it from the
catch-up's own fetches).
"""

import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from tuopin_eventkit.messaging import kafka

log = logging.getLogger(__name__)


@asynccontextmanager
async def reader(settings: kafka.KafkaSettings) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer outside any group (it commits nothing, joins nothing), started."""
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def partitions(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """The partitions of those topics that exist (a missing topic has none)."""
    await consumer.topics()  # fetch metadata
    return [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]


async def ends(
    consumer: AIOKafkaConsumer, tps: Sequence[TopicPartition], timeout: float
) -> dict[TopicPartition, int]:
    """Each partition's end (its next offset): ListOffsets raised to the high watermark of a
    fetch at the listed end. The consumer is assigned exactly these partitions."""
    if not tps:
        return {}
    listed = await consumer.end_offsets(list(tps))
    consumer.assign(list(tps))
    for tp in tps:
        consumer.seek(tp, listed[tp])
    known: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + timeout
    while True:
        for tp in tps:
            highwater = consumer.highwater(tp)
            if tp not in known and highwater is not None:
                known[tp] = max(listed[tp], highwater)
        if len(known) == len(tps):
            return known
        if time.monotonic() > deadline:
            for tp in set(tps) - set(known):
                log.warning("no high watermark for %s; its end is ListOffsets' %d", tp, listed[tp])
                known[tp] = listed[tp]
            return known
        await consumer.getmany(timeout_ms=100, max_records=1)  # only for the high watermarks


async def starts(
    consumer: AIOKafkaConsumer, tps: Sequence[TopicPartition]
) -> dict[TopicPartition, int]:
    """Each partition's first offset still kept (0 unless retention removed some)."""
    return dict(await consumer.beginning_offsets(list(tps))) if tps else {}


async def read_all(
    consumer: AIOKafkaConsumer, tps: Sequence[TopicPartition], timeout: float
) -> list[ConsumerRecord]:
    """Every record of these partitions, from the beginning to the end (the high watermark
    of the fetches), in partition and offset order. Gives up waiting for a partition's high
    watermark after ``timeout`` seconds without progress."""
    if not tps:
        return []
    consumer.assign(list(tps))
    await consumer.seek_to_beginning(*tps)
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    while True:
        pending = []
        for tp in tps:
            highwater = consumer.highwater(tp)
            if highwater is None or await consumer.position(tp) < highwater:
                pending.append(tp)
        if not pending:
            break
        if time.monotonic() > deadline:
            log.warning("stopped reading %s: no answer within %.0f s", pending, timeout)
            break
        batches = await consumer.getmany(*pending, timeout_ms=200, max_records=500)
        for batch in batches.values():
            records.extend(batch)
        if batches:
            deadline = time.monotonic() + timeout
    records.sort(key=lambda r: (r.topic, r.partition, r.offset))
    return records


class Ends:
    """Where each partition ends for a catch-up: the broker's answer to ListOffsets,
    raised to the high watermark of the first fetch response from that partition.

    Both are the end on Apache Kafka. Tansu answers ListOffsets with the base offset of the
    partition's last record batch plus one — short of the end as soon as a producer sends
    batches (the outbox relay does) — while its fetch responses carry the true high
    watermark. A partition whose high watermark stays unknown for the request timeout
    (no fetch answered) falls back to ListOffsets.
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        listed: dict[TopicPartition, int],
        settings: kafka.KafkaSettings,
    ) -> None:
        self.consumer, self.listed = consumer, listed
        self.known: dict[TopicPartition, int] = {}
        self.deadline = time.monotonic() + settings.request_timeout_ms / 1000

    def learn(self) -> None:
        for tp, listed in self.listed.items():
            if tp not in self.known:
                highwater = self.consumer.highwater(tp)
                if highwater is not None:
                    self.known[tp] = max(listed, highwater)
                elif time.monotonic() > self.deadline:
                    log.warning("no high watermark for %s; ending at ListOffsets' %d", tp, listed)
                    self.known[tp] = listed

    @property
    def complete(self) -> bool:
        return len(self.known) == len(self.listed)

    def __getitem__(self, tp: TopicPartition) -> int:
        return self.known[tp]

    def progress(
        self, starts: dict[TopicPartition, int], positions: dict[TopicPartition, int]
    ) -> tuple[int, int]:
        """(messages read, messages to read) between the start positions and the ends."""
        total = sum(max(0, end - starts[tp]) for tp, end in self.known.items())
        done = sum(max(0, min(positions[tp], end) - starts[tp]) for tp, end in self.known.items())
        return done, total
