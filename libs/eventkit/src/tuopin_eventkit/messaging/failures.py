"""What a consumer does with what it cannot apply now, for the projections' consumers and
the partners' intake alike: a message it can never take is parked on ``<topic>.dlq``
(``DeadLetters``); a batch the database was away for is taken again later (``retry_later``).
"""

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from tuopin_contracts.topics import dead_letter_topic
from tuopin_eventkit import metrics
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.dlq import without_credentials

log = logging.getLogger(__name__)


class DeadLetters:
    """Parks a message its consumer can never take on ``<topic>.dlq``: the original bytes,
    key and headers, plus why (``error``), who refused it and where it came from.

    Credential headers (a partner's bearer token above all) are not copied: a DLQ is kept
    and read long after, and a token there would still be valid (see ``dlq.py``)."""

    def __init__(self, settings: kafka.KafkaSettings, consumer: str) -> None:
        self.settings, self.consumer = settings, consumer
        self._producer: AIOKafkaProducer | None = None

    async def send(self, record: ConsumerRecord, reason: str, **extra: bytes) -> None:
        origin = f"{record.topic}/{record.partition}/{record.offset}"
        log.error("dead letter from %s: %s", origin, reason)
        if self._producer is None:
            self._producer = kafka.producer(self.settings)
            await self._producer.start()
        headers = [
            *without_credentials(record.headers),
            ("error", reason.encode()[:4000]),
            *extra.items(),
            ("consumer", self.consumer.encode()),
            ("origin", origin.encode()),
        ]
        await self._producer.send_and_wait(
            dead_letter_topic(record.topic), record.value, key=record.key, headers=headers
        )
        metrics.EVENTS_CONSUMED.labels(self.consumer, "dead_letter").inc()

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()


async def retry_later(
    consumer: AIOKafkaConsumer,
    batches: dict[TopicPartition, list[ConsumerRecord]],
    name: str,
    exc: Exception,
    backoff: float,
) -> float:
    """The database is away: take the whole batch again after a pause (what of it was
    already applied is skipped as a duplicate), and keep the partitions meanwhile — leaving
    the group for every failed try would rebalance every member of it, again and again,
    for as long as the outage lasts. Returns the next pause."""
    log.warning("%s: database unreachable, retrying in %.1f s: %r", name, backoff, exc)
    for tp, records in batches.items():
        if records:
            consumer.seek(tp, records[0].offset)
    await asyncio.sleep(backoff)
    return min(backoff * 2, 10.0)
