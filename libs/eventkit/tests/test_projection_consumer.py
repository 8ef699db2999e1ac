"""Idempotent consumers: redelivery changes nothing, bad messages go to the DLQ, and a
projection rebuilt from zero equals the live one."""

import asyncio

import pytest
from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import select, text

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.examples import household_registered
from tuopin_eventkit.db import read_only
from tuopin_eventkit.messaging.advances import Advances
from tuopin_eventkit.messaging.consumer import ProjectionConsumer
from tuopin_eventkit.messaging.kafka import KafkaSettings, cluster_id, ensure_topics
from tuopin_eventkit.store.checkpoint import stored_offsets
from tuopin_eventkit.store.projection import Reaction
from tuopin_eventkit.testing import DATABASES, counted, eventually, read_topic
from tuopin_eventkit.testing import publish as publish_to
from tuopin_eventkit.web.status import _committed

from .conftest import counting_projection, households_per_county

TOPIC = Topic.REGISTRY.value


def registered(county: str = "621121", reason: str | None = None) -> Envelope:
    return household_registered(county_code=county, reason=reason)


async def publish(settings, *values: bytes | Envelope) -> None:
    await publish_to(settings, TOPIC, *values)


async def rows(engine) -> list[tuple[str, str]]:
    async with read_only(engine).connect() as conn:
        result = await conn.execute(
            select(
                households_per_county.c.household_id, households_per_county.c.county_code
            ).order_by(households_per_county.c.household_id)
        )
        return [tuple(r) for r in result]


async def until_rows(engine, count: int) -> list[tuple[str, str]]:
    async def check() -> list[tuple[str, str]]:
        found = await rows(engine)
        assert len(found) == count
        return found

    return await eventually(check)


async def test_redelivered_events_are_applied_once(engine, kafka_settings) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    first, second = registered(), registered(county="620102")
    await publish(kafka_settings, first, second, first, first)  # duplicates, as after a rebalance
    consumer = ProjectionConsumer(engine, counting_projection(), kafka_settings)
    assert await consumer.catch_up() == 2
    await publish(kafka_settings, second)  # redelivered later, across runs
    assert await consumer.catch_up() == 0
    assert len(await rows(engine)) == 2


async def test_bad_messages_go_to_the_dead_letter_topic_and_the_partition_keeps_flowing(
    engine, kafka_settings
) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    unknown = registered().model_copy(update={"type": "registry.household.teleported.v1"})
    invalid = registered().model_copy(update={"data": {"household_id": "not-a-uuid"}})
    poison = registered(reason="POISON")
    good = [registered(), registered(), registered()]
    await publish(
        kafka_settings, b"\xff not json", good[0], unknown, invalid, good[1], poison, good[2]
    )

    task = asyncio.create_task(
        ProjectionConsumer(engine, counting_projection(), kafka_settings).run()
    )
    try:
        applied = await until_rows(engine, 3)
        dead = await read_topic(kafka_settings, TOPIC + ".dlq", 4)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    assert {household for household, _ in applied} == {g.subject for g in good}
    reasons = {r.value: dict(r.headers)["error"].decode() for r in dead}
    assert "not a valid CloudEvents envelope" in reasons[b"\xff not json"]
    assert "unknown event type" in reasons[unknown.to_json()]
    assert "invalid registry.household.registered.v3 payload" in reasons[invalid.to_json()]
    assert "handler failed" in reasons[poison.to_json()]
    assert all(dict(r.headers)["consumer"] == b"test.households" for r in dead)


async def test_offsets_live_in_the_database_so_a_restart_resumes_without_loss(
    engine, kafka_settings
) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    await publish(kafka_settings, *(registered() for _ in range(50)))
    projection = counting_projection()
    task = asyncio.create_task(ProjectionConsumer(engine, projection, kafka_settings).run())
    await until_rows(engine, 50)
    task.cancel()  # stopped mid-life, as a crash would stop it
    await asyncio.gather(task, return_exceptions=True)

    await publish(kafka_settings, *(registered() for _ in range(30)))
    assert await ProjectionConsumer(engine, projection, kafka_settings).catch_up() == 30
    assert len(await rows(engine)) == 80


async def told_kafka(engine, kafka_settings, projection) -> None:
    """Kafka has the offsets the database keeps: what Kafka's tools show as the group's lag."""
    stored = await stored_offsets(engine, projection)
    tps = [TopicPartition(topic, partition) for topic, partition in stored]
    committed = await _committed(kafka_settings, projection.name, tps)
    assert {tp.partition: at for tp, at in committed.items()} == {
        partition: offset.next_offset for (_, partition), offset in stored.items()
    }


async def test_the_groups_kafka_offsets_follow_the_database_for_lag_monitoring(
    engine, kafka_settings
) -> None:
    """Kafka is told within about a second of each batch rather than after every one — and
    exactly, once the consumer stops."""
    await ensure_topics(kafka_settings, [TOPIC])
    projection = counting_projection()
    task = asyncio.create_task(ProjectionConsumer(engine, projection, kafka_settings).run())
    try:
        for n in range(1, 4):  # batches apart
            await publish(kafka_settings, registered(county=f"62{n:04}"))
            await until_rows(engine, n)
        await eventually(lambda: told_kafka(engine, kafka_settings, projection))
        await publish(kafka_settings, registered())
        await until_rows(engine, 4)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await told_kafka(engine, kafka_settings, projection)  # the last batch, told as it stopped


async def test_kafka_is_told_a_members_offsets_as_its_partitions_move_to_another(
    engine, kafka_settings
) -> None:
    """A member tells Kafka its partitions' offsets as they are revoked: the new owner,
    with nothing new to read, would never tell it (here no member commits by the clock)."""
    await ensure_topics(kafka_settings, [TOPIC])
    await publish(kafka_settings, *(registered(county=f"62{n:04}") for n in range(30)))
    projection = counting_projection()
    members = [ProjectionConsumer(engine, projection, kafka_settings) for _ in range(2)]
    for member in members:
        member.commit_seconds = 3600
    tasks = [asyncio.create_task(members[0].run())]
    try:
        await until_rows(engine, 30)
        tasks.append(asyncio.create_task(members[1].run()))  # the group rebalances
        await eventually(lambda: told_kafka(engine, kafka_settings, projection))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_rebuild_from_zero_equals_the_live_projection(engine, kafka_settings) -> None:
    await ensure_topics(kafka_settings, [TOPIC])
    await publish(kafka_settings, *(registered(county=c) for c in ["621121", "620102"] * 40))
    projection = counting_projection()
    task = asyncio.create_task(ProjectionConsumer(engine, projection, kafka_settings).run())
    live = await until_rows(engine, 80)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with engine.begin() as conn:  # the read model drifts (a bug, a manual edit …)
        await conn.execute(
            households_per_county.delete().where(households_per_county.c.county_code == "620102")
        )
    assert len(await rows(engine)) == 40

    assert await ProjectionConsumer(engine, projection, kafka_settings).rebuild() == 80
    assert await rows(engine) == live
    assert await counted(engine, households_per_county.c.county_code) == {
        "621121": 40,
        "620102": 40,
    }


@pytest.mark.skipif("postgres" not in DATABASES, reason="PostgreSQL only: no server given")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_catch_up_leaves_the_planner_statistics_of_what_it_filled(
    engine, kafka_settings
) -> None:
    """Without them (no ANALYZE yet, autovacuum off or a minute away) PostgreSQL plans the
    dedupe lookup for the empty table the read model was: every batch of a 100,000-household
    rebuild then read every event applied before it (607 s instead of about 60)."""
    await ensure_topics(kafka_settings, [TOPIC])
    await publish(kafka_settings, *(registered() for _ in range(60)))
    assert await ProjectionConsumer(engine, counting_projection(), kafka_settings).catch_up() == 60
    async with read_only(engine).connect() as conn:
        known = dict(
            (
                await conn.execute(
                    text(
                        "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                        "('test_households_per_county', 'processed_events')"
                    )
                )
            ).all()
        )
    assert known == {"test_households_per_county": 60, "processed_events": 60}


async def test_a_reaction_waiting_for_its_read_model_is_woken_by_its_commit(
    engine, kafka_settings: KafkaSettings
) -> None:
    """A reaction's batch waits until the read model it reads has applied the same offsets.
    In one process, the read model's commit wakes it; its looking at the stored offsets
    (made hourly here) is for a read model applied by another process."""
    await ensure_topics(kafka_settings, [TOPIC])
    filed = registered()
    await publish(kafka_settings, filed)
    every = list(range(kafka_settings.partitions))
    where = TopicPartition(TOPIC, DefaultPartitioner()(filed.key, every, every))
    advances, read_model = Advances(), counting_projection()
    reaction = Reaction("test.reaction", tables=(), after=read_model.name)
    waiting = ProjectionConsumer(engine, reaction, kafka_settings, advances=advances)
    waiting.read_model_poll_seconds = 3600
    waiting.generation = await cluster_id(kafka_settings)
    wait = asyncio.create_task(waiting._await_read_model(where, 1))  # past the filing
    await asyncio.sleep(0.2)
    assert not wait.done()  # the read model has applied nothing yet
    feeding = ProjectionConsumer(engine, read_model, kafka_settings, advances=advances)
    assert await feeding.catch_up() == 1
    await asyncio.wait_for(wait, 10)  # woken by the commit, not by the next look
