"""aiokafka clients from settings, and topic creation.

Correctness never rests on producer idempotence or Kafka transactions (the embedded
Tansu broker lacks them): the outbox gives at-least-once, consumers dedupe.

Every client (producer, consumer, admin) is built here, so TLS and SASL configured once
reach them all: PLAINTEXT for the embedded broker, SASL_SSL for a deployed cluster.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.helpers import create_ssl_context
from pydantic import BaseModel, SecretStr, model_validator

from tuopin_contracts.topics import dead_letter_topic


class KafkaSettings(BaseModel):
    bootstrap_servers: str = "127.0.0.1:9092"
    # Only against Apache Kafka: Tansu answers UnknownError to idempotent producers.
    enable_idempotence: bool = False
    partitions: int = 3
    replication_factor: int = 1
    request_timeout_ms: int = 15000
    # A group member unheard of this long is dropped and its partitions reassigned. Tansu
    # also holds a new group's first join for half of it, so a consumer starts (and one
    # stopped while joining stops) that much later; tests use less.
    session_timeout_ms: int = 10000
    # How long a consumer's fetch may wait for records. Apache Kafka answers as soon as a
    # record arrives, so this is only the idle poll; Tansu waits it out, so it is also
    # how long a record can sit before a waiting consumer sees it (raw produce→consume
    # p99 258 ms at 500, 59 at 100). But at 100 every consumer of the four services polls
    # five times as often, and the registry's own answers slowed (bench.load at 50/s:
    # HTTP p50 15 → 53-248 ms). At 400 (bench.load, PostgreSQL, A/B in one hour):
    # accepted → counted p99 287-291 → 238 ms at 50/s and 393-455 → 267-377 ms at
    # 100/s, for 1-2% more CPU per registration.
    fetch_max_wait_ms: int = 400
    # Transport security (TUOPIN_<SVC>_KAFKA__SECURITY_PROTOCOL=SASL_SSL, …).
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None  # the cluster's CA; None: the system's trust store
    ssl_certfile: Path | None = None  # a client certificate, for mutual TLS
    ssl_keyfile: Path | None = None
    ssl_key_password: SecretStr | None = None

    @model_validator(mode="after")
    def _complete(self) -> "KafkaSettings":
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_username and self.sasl_password
        ):
            raise ValueError(f"{self.security_protocol} needs sasl_username and sasl_password")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("a client certificate needs both ssl_certfile and ssl_keyfile")
        return self


def security(settings: KafkaSettings) -> dict[str, Any]:
    """The connection options every aiokafka client takes, from the settings."""
    options: dict[str, Any] = {"security_protocol": settings.security_protocol}
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        key_password = settings.ssl_key_password
        options["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile,
            certfile=settings.ssl_certfile,
            keyfile=settings.ssl_keyfile,
            password=key_password.get_secret_value() if key_password else None,
        )
    if settings.security_protocol.startswith("SASL"):
        assert settings.sasl_password is not None  # checked by the settings
        options["sasl_mechanism"] = settings.sasl_mechanism
        options["sasl_plain_username"] = settings.sasl_username
        options["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    return options


def producer(settings: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        **security(settings),
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
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.session_timeout_ms // 3,
        **security(settings),
        **{"fetch_max_wait_ms": settings.fetch_max_wait_ms, **options},
    )


async def cluster_id(settings: KafkaSettings) -> str:
    """The id of the cluster the settings reach: a rebuilt cluster (or a restarted
    in-memory broker) has a new one, and with it a new log."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **security(settings))
    await admin.start()
    try:
        return str((await admin.describe_cluster())["cluster_id"])
    finally:
        await admin.close()


async def ensure_topics(settings: KafkaSettings, topics: Iterable[str]) -> None:
    """Create each event topic and its dead-letter topic if missing."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, **security(settings))
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
