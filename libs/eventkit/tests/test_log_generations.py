"""The event store is the truth, the broker a replaceable transport: a fresh broker, a topic
recreated under running clients, a rebuild from a log that lost history, a rebalance under
load — every event still reaches every consumer, applied exactly once."""

import asyncio
import contextlib
from collections import Counter

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.envelope import KAFKA_HEADERS
from tuopin_contracts.examples import household_registered
from tuopin_eventkit.db import read_only
from tuopin_eventkit.messaging import broker as tansu
from tuopin_eventkit.messaging.consumer import ProjectionConsumer, RebuildRefused
from tuopin_eventkit.messaging.generation import POSITION_HEADER
from tuopin_eventkit.messaging.kafka import KafkaSettings, cluster_id, ensure_topics
from tuopin_eventkit.messaging.relay import OutboxRelay
from tuopin_eventkit.store.checkpoint import stored_offsets
from tuopin_eventkit.store.schema import processed_events
from tuopin_eventkit.store.store import NewEvent
from tuopin_eventkit.testing import eventually, read_topic

from .conftest import counting_projection, households_per_county

pytestmark = pytest.mark.faults

TOPIC = Topic.REGISTRY.value


async def append(engine, store, count: int) -> None:
    """Register ``count`` households in the store, one stream each."""
    async with engine.begin() as conn:
        for _ in range(count):
            env = household_registered()
            event = NewEvent(type=env.type, data=env.data, event_id=env.id)
            await store.append(conn, "household", env.subject, 0, [event])
    store.notify()


@contextlib.asynccontextmanager
async def running(*workers):
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def relay_for(engine, store, settings: KafkaSettings) -> OutboxRelay:
    return OutboxRelay(engine, store, settings, TOPIC, idle_seconds=0.05, check_seconds=1.0)


async def households(engine) -> int:
    async with read_only(engine).connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(households_per_county)))


async def applied_once(engine, projection, count: int) -> None:
    """Exactly ``count`` events applied, each once (the dedupe keys are the applications)."""
    async with read_only(engine).connect() as conn:
        ids = (
            await conn.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == projection.name
                )
            )
        ).all()
    assert len(ids) == len(set(ids)) == count
    assert await households(engine) == count


async def topic_events(settings: KafkaSettings, count: int) -> Counter:
    records = await read_topic(settings, TOPIC, count)
    return Counter(Envelope.from_json(r.value).id for r in records)


async def published_and_applied(engine, store, settings, projection, count: int) -> None:
    """``count`` households filed, published by the relay and applied by a catch-up."""
    await ensure_topics(settings, [TOPIC])  # before a reader's metadata request creates it
    await append(engine, store, count)
    async with running(relay_for(engine, store, settings)):
        await topic_events(settings, count)
        await ProjectionConsumer(engine, projection, settings).catch_up()
    await applied_once(engine, projection, count)


@pytest.fixture
def second_broker():
    running_broker = tansu.start()
    yield running_broker
    running_broker.stop()


async def test_a_fresh_broker_gets_the_whole_store_and_consumers_apply_each_event_once(
    engine, store, kafka_settings, second_broker
) -> None:
    projection = counting_projection()
    await published_and_applied(engine, store, kafka_settings, projection, 40)
    first_generation = await cluster_id(kafka_settings)

    # The broker is replaced (an in-memory broker restarted); 25 more are written meanwhile.
    await append(engine, store, 25)
    fresh = KafkaSettings(bootstrap_servers=second_broker.bootstrap_servers)
    relay = relay_for(engine, store, fresh)
    async with running(relay):
        on_topic = await topic_events(fresh, 65)
        assert set(on_topic.values()) == {1} and len(on_topic) == 65  # the whole history
        await eventually(lambda: _at(relay, 65))

    consumer = ProjectionConsumer(engine, projection, fresh)
    assert await consumer.catch_up() == 25  # the 40 known ones are recognised, not reapplied
    await applied_once(engine, projection, 65)
    offsets = await stored_offsets(engine, projection)
    assert {o.generation for o in offsets.values()} == {await cluster_id(fresh)}
    assert first_generation != await cluster_id(fresh)
    assert max(o.position or 0 for o in offsets.values()) == 65


async def _at(relay: OutboxRelay, position: int) -> None:
    assert await relay.checkpoint() == position


async def test_records_are_structured_cloudevents_with_their_store_position(
    engine, store, kafka_settings
) -> None:
    await append(engine, store, 3)
    async with running(relay_for(engine, store, kafka_settings)):
        records = await read_topic(kafka_settings, TOPIC, 3)
    for record in records:
        headers = dict(record.headers)
        assert headers["content-type"] == dict(KAFKA_HEADERS)["content-type"]
        assert headers["content-type"].startswith(b"application/cloudevents+json")
    assert sorted(int(dict(r.headers)[POSITION_HEADER]) for r in records) == [1, 2, 3]


async def test_a_topic_recreated_under_running_relay_and_consumer_loses_nothing(
    engine, store, kafka_settings
) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    projection = counting_projection()
    relay = relay_for(engine, store, kafka_settings)
    consumer = ProjectionConsumer(engine, projection, kafka_settings, recheck_seconds=1.0)
    async with running(relay, consumer):
        await append(engine, store, 30)
        await eventually(lambda: _count(engine, 30))

        admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
        await admin.start()
        try:
            await admin.delete_topics([TOPIC])
            await asyncio.sleep(0.5)
        finally:
            await admin.close()
        await ensure_topics(kafka_settings, [TOPIC])
        await append(engine, store, 20)

        await eventually(lambda: _count(engine, 50), timeout=60)
        await eventually(lambda: _at(relay, 50), timeout=60)
        on_topic = await topic_events(kafka_settings, 50)
        assert len(on_topic) == 50  # the recreated topic holds the whole history again
    await applied_once(engine, projection, 50)


async def _count(engine, expected: int) -> None:
    assert await households(engine) == expected


async def test_rebuild_refuses_a_log_short_of_what_it_applied_and_changes_nothing(
    engine, store, kafka_settings, second_broker
) -> None:
    projection = counting_projection()
    await published_and_applied(engine, store, kafka_settings, projection, 30)

    fresh = KafkaSettings(bootstrap_servers=second_broker.bootstrap_servers)
    await ensure_topics(fresh, [TOPIC])  # a new broker the relay has not republished to
    with pytest.raises(RebuildRefused, match="up to position 30"):
        await ProjectionConsumer(engine, projection, fresh).rebuild()
    await applied_once(engine, projection, 30)  # nothing deleted

    async with running(relay_for(engine, store, fresh)):
        await topic_events(fresh, 30)
    assert await ProjectionConsumer(engine, projection, fresh).rebuild() == 30
    await applied_once(engine, projection, 30)


async def test_a_replica_joining_and_leaving_under_load_applies_each_event_once(
    engine, store, kafka_settings
) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    projection = counting_projection()
    relay = relay_for(engine, store, kafka_settings)
    first = ProjectionConsumer(engine, projection, kafka_settings, max_records=20)
    async with running(relay, first):
        for _ in range(10):
            await append(engine, store, 10)
            await asyncio.sleep(0.05)
        async with running(ProjectionConsumer(engine, projection, kafka_settings, max_records=20)):
            for _ in range(10):  # the group rebalances while events flow
                await append(engine, store, 10)
                await asyncio.sleep(0.1)
        for _ in range(10):  # and again as the second replica leaves
            await append(engine, store, 10)
            await asyncio.sleep(0.05)
        await eventually(lambda: _count(engine, 300), timeout=90)
    await applied_once(engine, projection, 300)
