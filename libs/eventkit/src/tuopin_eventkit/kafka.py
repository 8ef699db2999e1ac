"""aiokafka clients from settings, and topic creation.

Correctness never rests on producer idempotence or Kafka transactions (the embedded
Tansu broker lacks them): the outbox gives at-least-once, consumers dedupe.
"""

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import BaseModel

from tuopin_contracts.topics import dead_letter_topic


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    # Only against Apache Kafka: Tansu answers UnknownError to idempotent producers.
    enable_idempotence: bool = False
    partitions: int = 3
    replication_factor: int = 1
    request_timeout_ms: int = 15000


def producer(settings: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=settings.request_timeout_ms,
    )


def consumer(settings: KafkaSettings, group_id: str | None, **options: object) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_uncommitted",
        **options,
    )


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str]) -> None:
    """Create each event topic and its dead-letter topic if missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = {name for topic in topics for name in (topic, dead_letter_topic(topic))}
        missing = sorted(wanted - existing)
        if missing:
            await admin.create_topics(
                [NewTopic(t, settings.partitions, settings.replication_factor) for t in missing]
            )
    finally:
        await admin.close()
