"""How far a projection's consumer has come, told to the metrics and to Kafka.

The database is a projection's checkpoint (``store.projection``); the offsets committed to
Kafka serve lag monitoring only (the group's offsets, as Kafka's own tools show them). So
they are committed at most once a second, each partition's newest, and at once as its
partitions are revoked and as the consumer stops — not after every batch: each commit is
a round trip whose CPU the consumer and the broker pay again for every batch, and a short
fetch wait makes batches many. Each is bounded to a second.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import suppress

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from tuopin_eventkit import metrics

log = logging.getLogger(__name__)


class Lag:
    """One group member's lag gauge and its pending Kafka commits."""

    def __init__(self, consumer: AIOKafkaConsumer, name: str, every: float = 1.0) -> None:
        self.consumer, self.name, self.every = consumer, name, every
        self.pending: dict[TopicPartition, int] = {}
        self.due = time.monotonic() + every

    def fetched(self, tp: TopicPartition, records: Sequence[ConsumerRecord]) -> None:
        """The gauge: how many messages of the partition lie beyond this batch."""
        highwater = self.consumer.highwater(tp)
        if highwater is not None and records:
            lag = highwater - (records[-1].offset + 1)
            metrics.CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)

    def applied(self, tp: TopicPartition, next_offset: int) -> None:
        """A batch is in the database: its offset is Kafka's to be told."""
        self.pending[tp] = next_offset

    async def commit(self, now: bool = False) -> None:
        """Commit what is pending if a second has passed (or ``now``), for the partitions
        still assigned: another member owns the rest, and reports them itself."""
        if not self.pending or (not now and time.monotonic() < self.due):
            return
        assigned = self.consumer.assignment()
        offsets = {tp: at for tp, at in self.pending.items() if tp in assigned}
        self.pending, self.due = {}, time.monotonic() + self.every
        if not offsets:
            return
        try:  # bounded: a commit retrying against a broker must not hold up the batches
            await asyncio.wait_for(self.consumer.commit(offsets), _BOUND)
        except CommitFailedError:  # rebalanced meanwhile; the database offset rules
            log.info("consumer %s: Kafka commit skipped after rebalance", self.name)
        except (KafkaError, TimeoutError) as exc:  # monitoring lags a while; we go on
            self.pending = {**offsets, **self.pending}
            log.warning("consumer %s: Kafka commit failed, retried later: %r", self.name, exc)

    async def now(self) -> None:
        """Commit at once: as partitions are revoked and as the consumer stops. Bounded
        like every commit, so a broker that does not answer holds up neither the rebalance
        (the commit runs inside it, and the consumer's stop waits for it) nor the stop:
        the database has the offsets."""
        with suppress(KafkaError):  # IllegalStateError among them, from a stopped consumer
            await self.commit(now=True)


# How long a commit may take: the offsets serve monitoring only.
_BOUND = 1.0
