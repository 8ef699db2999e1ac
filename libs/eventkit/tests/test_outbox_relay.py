"""The outbox relay: every event reaches the topic, in per-stream order, whatever happens."""

import asyncio
import contextlib
import os
import random
from collections import defaultdict

import pytest
import sqlalchemy

from tuopin_contracts import Envelope
from tuopin_eventkit.messaging import broker as tansu
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.batches import send_all
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.messaging.relay import OutboxRelay
from tuopin_eventkit.store.store import ConcurrencyConflict, NewEvent
from tuopin_eventkit.testing import POSTGRES_ENV, eventually, fresh_postgres_database, read_topic

TOPIC = "test.events"


def event(n: int) -> NewEvent:
    return NewEvent(type="test.thing.happened.v1", data={"n": n})


@contextlib.asynccontextmanager
async def running(*relays: OutboxRelay):
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def assert_exactly_once_in_stream_order(records, streams: int, per_stream: int) -> None:
    envelopes = [Envelope.from_json(r.value) for r in records]
    assert len({e.id for e in envelopes}) == len(envelopes) == streams * per_stream
    by_stream: dict[str, list[int]] = defaultdict(list)
    partition_of: dict[str, set[int]] = defaultdict(set)
    for record, env in zip(records, envelopes, strict=True):
        assert record.key == env.subject.encode()
        by_stream[env.subject].append(env.sequence)
        partition_of[env.subject].add(record.partition)
    assert len(by_stream) == streams
    for subject, sequences in by_stream.items():
        assert sequences == list(range(1, per_stream + 1)), subject
        assert len(partition_of[subject]) == 1


async def append_concurrently(engine, store, streams: int, per_stream: int) -> None:
    """Many writers, each appending one event at a time to its own stream, interleaved."""

    async def writer(stream: str) -> None:
        for version in range(per_stream):
            while True:
                try:
                    async with engine.begin() as conn:
                        await store.append(conn, "thing", stream, version, [event(version)])
                    store.notify()
                    break
                except ConcurrencyConflict:  # never expected: one writer per stream
                    raise
            await asyncio.sleep(random.random() / 500)

    await asyncio.gather(*(writer(f"stream-{i:02d}") for i in range(streams)))


async def test_many_concurrent_writers_every_event_once_in_stream_order(
    engine, store, kafka_settings
) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    relay = OutboxRelay(engine, store, kafka_settings, TOPIC, batch_size=50, idle_seconds=0.05)
    async with running(relay):
        await append_concurrently(engine, store, streams=20, per_stream=15)
        records = await read_topic(kafka_settings, TOPIC, 300)

        async def checkpointed() -> None:  # acknowledged, then recorded
            assert await relay.checkpoint() == 300

        await eventually(checkpointed)
    assert_exactly_once_in_stream_order(records, 20, 15)


async def test_writes_succeed_while_the_broker_is_down_and_the_relay_catches_up(
    engine, store, broker, kafka_settings
) -> None:
    broker.stop()
    relay = OutboxRelay(engine, store, kafka_settings, TOPIC, idle_seconds=0.05)
    async with running(relay):
        await append_concurrently(engine, store, streams=5, per_stream=4)
        await asyncio.sleep(1.0)
        assert await relay.checkpoint() == 0  # nothing could be published
        restarted = tansu.start(broker.port)
        try:
            await ensure_topics(kafka_settings, [TOPIC])
            records = await read_topic(kafka_settings, TOPIC, 20, timeout=60)
        finally:
            restarted.stop()
    assert_exactly_once_in_stream_order(records, 5, 4)


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason="needs PostgreSQL (CI sets it)")
async def test_two_relays_on_one_postgres_database_publish_each_event_once(
    store, kafka_settings, tmp_path
) -> None:
    from tuopin_eventkit import migrate
    from tuopin_eventkit.db import create_engine

    async with fresh_postgres_database() as url:
        engine = create_engine(url)
        (tmp_path / "versions").mkdir()
        await migrate.upgrade(engine, tmp_path / "versions")
        await ensure_topics(kafka_settings, [TOPIC])
        relays = [
            OutboxRelay(engine, store, kafka_settings, TOPIC, batch_size=20, idle_seconds=0.05)
            for _ in range(2)
        ]
        async with running(*relays):
            await append_concurrently(engine, store, streams=10, per_stream=10)
            records = await read_topic(kafka_settings, TOPIC, 100)
            await asyncio.sleep(1.0)  # time for a wrongful second publication to show
            records = await read_topic(kafka_settings, TOPIC, 100)
        await engine.dispose()
    assert_exactly_once_in_stream_order(records, 10, 10)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_relay_stops_when_cancelled_as_an_append_wakes_it(
    engine, store, kafka_settings, turns
) -> None:
    """A service stopping just after a write: the relay's cancellation meets the append's
    wake-up. On Python 3.11 ``asyncio.wait_for`` could swallow that cancellation and the
    relay (and the service's shutdown) never ended; an operator's restart hung."""
    await ensure_topics(kafka_settings, [TOPIC])
    relay = OutboxRelay(engine, store, kafka_settings, TOPIC, idle_seconds=60)
    task = asyncio.create_task(relay.run())
    async with engine.begin() as conn:
        await store.append(conn, "thing", "stream-1", 0, [event(0)])
    store.notify()
    assert len(await read_topic(kafka_settings, TOPIC, 1)) == 1  # published: now idle
    await asyncio.sleep(0.2)  # the relay is idle again, waiting on the next append
    store.notify()
    for _ in range(turns):  # let the wake-up reach the relay's wait by this many steps
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done, "the relay did not stop"


async def test_a_batch_puts_each_key_where_a_single_send_would(kafka_settings) -> None:
    """A stream keeps its partition however its events were sent (older relays sent them
    one by one), and each partition reports the offsets its records took."""
    topic = "test.partitions"
    await ensure_topics(kafka_settings, [topic])
    keys = [f"stream-{n % 17}".encode() for n in range(60)]
    producer = kafka.producer(kafka_settings)
    await producer.start()
    try:
        written = await send_all(producer, topic, [(k, b"%d" % n, []) for n, k in enumerate(keys)])
        alone = {k: (await producer.send_and_wait(topic, b"alone", key=k)).partition for k in keys}
    finally:
        await producer.stop()
    records = [r for r in await read_topic(kafka_settings, topic, 60 + 60) if r.value != b"alone"]
    assert sorted(int(r.value) for r in records) == list(range(60))
    for partition, took in written.items():
        mine = sorted((r for r in records if r.partition == partition), key=lambda r: r.offset)
        assert all(alone[r.key] == partition for r in mine)
        assert [r.value for r in mine] == sorted((r.value for r in mine), key=int)
        assert (took.first, took.last, took.value) == (
            mine[0].offset,
            mine[-1].offset,
            mine[-1].value,
        )


async def test_records_past_one_record_batch_follow_in_the_next_in_order(kafka_settings) -> None:
    topic = "test.large"
    await ensure_topics(kafka_settings, [topic])
    values = [b"%d:" % n + b"x" * 100_000 for n in range(7)]  # three to a 256 KiB batch at most
    producer = kafka.producer(kafka_settings)
    await producer.start()
    try:
        written = await send_all(producer, topic, [(b"one-stream", v, []) for v in values])
    finally:
        await producer.stop()
    records = await read_topic(kafka_settings, topic, 7)
    assert [r.value for r in records] == values
    [(partition, took)] = written.items()
    assert {r.partition for r in records} == {partition}
    assert (took.first, took.last, took.value) == (
        records[0].offset,
        records[-1].offset,
        values[-1],
    )


async def test_a_batch_at_a_quiet_hour_is_two_statements(engine, store, kafka_settings) -> None:
    """At low rates the relay publishes after every append, so its statements are the
    registry's cost per registration: it reads the events after its checkpoint and writes
    the new one (without a transaction around it on PostgreSQL). The checkpoint it wrote is
    not read back, a batch short of full is not asked for the head, and the lease is asked
    at most once a second."""
    await ensure_topics(kafka_settings, [TOPIC])
    relay = OutboxRelay(engine, store, kafka_settings, TOPIC)
    sent: list[str] = []

    def count(conn, cursor, statement, *_) -> None:  # type: ignore[no-untyped-def]  # SQLAlchemy hands a driver cursor
        if not statement.startswith(("BEGIN", "COMMIT")):
            sent.append(statement)

    for n in range(3):
        async with engine.begin() as conn:
            await store.append(conn, "thing", "stream-1", n, [event(n)])
        if n > 0:  # the first connects and checks the log
            sqlalchemy.event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            assert await relay.publish_pending() == 1
        finally:
            if n > 0:
                sqlalchemy.event.remove(engine.sync_engine, "before_cursor_execute", count)
    await relay.close()
    assert len(sent) == 4, sent
    assert await relay.checkpoint() == 3
    assert len(await read_topic(kafka_settings, TOPIC, 3)) == 3
