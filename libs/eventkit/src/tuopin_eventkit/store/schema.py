"""The kernel's tables, present in every service's database.

``events`` is both the event store and the transactional outbox: an event is appended
in a transaction of its own and the relay publishes it from there.
"""

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

from tuopin_eventkit.store import columns

metadata = MetaData()

Json = JSON().with_variant(JSONB(), "postgresql")
Position = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    # Global, gap-free, commit-ordered: assigned under the append lock (see store.py).
    Column("position", Position, primary_key=True, autoincrement=False),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("stream_type", String(64), nullable=False),
    Column("stream_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(128), nullable=False),
    Column("data", Json, nullable=False),
    columns.recorded_at(),
    Column("correlation_id", String(128)),
    Column("causation_id", String(128)),
    Column("actor", String(128)),
    UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

# One row (id 1): the last position handed out. Appends update it, which both hands out
# the next positions and holds the append lock (the row's) until commit; see store.py.
events_head = Table(
    "events_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("position", Position, nullable=False),
)

relay_checkpoints = Table(
    "relay_checkpoints",
    metadata,
    Column("relay", String(64), primary_key=True),
    Column("position", Position, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The log the checkpoint counts in (see generation.py): the cluster's id, and by
    # partition the offset and fingerprint of the last record published there.
    Column("generation", String(128)),
    Column("anchors", Json),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("consumer", String(128), primary_key=True),
    Column("source", String(128), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)

consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("consumer", String(128), primary_key=True),
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("next_offset", BigInteger, nullable=False),
    # The log the offset belongs to (see generation.py): the cluster's id and the
    # fingerprint of the record at next_offset - 1. An offset of another log is never used.
    Column("generation", String(128)),
    Column("anchor", String(64)),
    # The highest store position of the producer applied from this partition, kept across
    # generations: a rebuild refuses a log that no longer reaches it.
    Column("position", BigInteger),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(128), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
