"""The operator's tools over a real broker and database: `tuopin <service> dlq list | show |
redrive` on a dead letter a real consumer parked, re-driven after the fix and applied once
however often it is re-driven; `status` and `/metrics` with the figures that were produced."""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from pydantic_settings import SettingsConfigDict
from sqlalchemy import select
from typer.testing import CliRunner

from tuopin_contracts import Topic
from tuopin_contracts.examples import household_registered
from tuopin_eventkit.cli import service_cli
from tuopin_eventkit.db import read_only
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.consumer import ProjectionConsumer
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.messaging.relay import OutboxRelay
from tuopin_eventkit.security.auth import Access, Rule
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.store.projection import Projection
from tuopin_eventkit.store.store import NewEvent
from tuopin_eventkit.testing import client_for, publish, read_topic
from tuopin_eventkit.web.inbound import Intake
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app

from .conftest import counting_projection, households_per_county

TOPIC = Topic.REGISTRY.value
OWN_TOPIC = "test.ops.events"
INTAKE_TOPIC = "test.ops.postings"


class OpsSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TUOPIN_OPSTEST_", env_nested_delimiter="__", extra="ignore"
    )
    port: int = 8099


def fixable_projection(broken: dict[str, bool]) -> Projection:
    """Counts households; refuses a POISON filing (its reason) while ``broken["now"]``."""
    return counting_projection(
        "opstest.households", lambda: broken["now"], "[bug] cannot cope with poison"
    )


async def _never(*_: Any) -> Any:
    raise AssertionError("no intake runs in these tests")


def spec_with(projection: Projection, tmp_path: Path) -> ServiceSpec:
    return ServiceSpec(
        name="opstest",
        title="operator tools test",
        settings=OpsSettings,
        versions=tmp_path / "versions",  # the kernel's tables only (see conftest)
        topic=OWN_TOPIC,
        projections=[projection],
        intake=Intake(topic=INTAKE_TOPIC, body=dict, handle=_never, rule=Rule(Access.PARTNER)),
    )


class Cli:
    """`tuopin opstest …` as an operator types it, configured by environment."""

    def __init__(self, spec: ServiceSpec, database_url: str, settings: kafka.KafkaSettings):
        self.app = service_cli(spec)
        self.env = {
            "TUOPIN_OPSTEST_DATABASE_URL": database_url,
            "TUOPIN_OPSTEST_KAFKA__BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            "TUOPIN_OPSTEST_KAFKA__REQUEST_TIMEOUT_MS": "5000",
            "COLUMNS": "250",  # rich's tables unfolded
        }

    async def __call__(self, *args: str, code: int = 0) -> str:
        """Its standard output (with ``code`` other than 0: all it printed)."""
        result = await asyncio.to_thread(
            CliRunner().invoke, self.app, list(args), env=self.env, catch_exceptions=False
        )
        assert result.exit_code == code, result.output
        return result.stdout if code == 0 else result.output

    async def json(self, *args: str) -> Any:
        return json.loads(await self(*args, "--json"))


async def households(engine) -> list[str]:
    async with read_only(engine).connect() as conn:
        rows = await conn.execute(select(households_per_county.c.household_id))
        return sorted(r.household_id for r in rows)


@pytest.mark.faults
async def test_a_dead_letter_is_listed_shown_and_redriven_once_after_the_fix(
    engine, kafka_settings, database_url, tmp_path
) -> None:
    broken = {"now": True}
    projection = fixable_projection(broken)
    cli = Cli(spec_with(projection, tmp_path), database_url, kafka_settings)
    await ensure_topics(kafka_settings, [TOPIC])
    good, poison = (
        [household_registered(), household_registered()],
        household_registered(reason="POISON"),
    )
    await publish(kafka_settings, TOPIC, good[0], poison, good[1])
    consumer = ProjectionConsumer(engine, projection, kafka_settings)
    assert await consumer.catch_up() == 2  # the poison one is parked on the DLQ

    [listed] = await cli.json("dlq", "list")
    assert listed["topic"] == TOPIC + ".dlq" and listed["key"] == poison.subject
    assert listed["consumer"] == "opstest.households"
    assert "handler failed" in listed["reason"] and "[bug]" in listed["reason"]
    assert listed["origin"].startswith(f"{TOPIC}/{listed['partition']}/")
    table = await cli("dlq", "list", "--topic", TOPIC)
    assert "opstest.households" in table and "[bug]" in table  # no markup eaten

    ref = f"{listed['partition']}:{listed['offset']}"
    shown = await cli.json("dlq", "show", ref)
    assert shown["value"]["id"] == str(poison.id)  # the original bytes, pretty
    assert dict(shown["headers"])["consumer"] == "opstest.households"
    assert "POISON" in await cli("dlq", "show", ref, "--topic", TOPIC + ".dlq")
    assert "no dead letter at 99:0" in await cli("dlq", "show", "99:0", code=2)
    status = await cli.json("status")
    assert {d["topic"]: d["depth"] for d in status["dead_letters"]}[TOPIC + ".dlq"] == 1

    broken["now"] = False  # the fix is deployed
    first = await cli.json("dlq", "redrive", "--offset", ref)
    again = await cli.json("dlq", "redrive", "--all", "--topic", TOPIC)  # by accident
    assert [r["from"] for r in first] == [r["from"] for r in again] == [f"{TOPIC}.dlq {ref}"]
    assert first[0]["to"] != again[0]["to"]  # two copies on the topic …
    assert await consumer.catch_up() == 1  # … applied once
    assert await households(engine) == sorted([*(g.subject for g in good), poison.subject])
    assert await cli.json("dlq", "list") == [listed]  # nothing new parked

    # A dead letter of an intake needs a token to go back: the DLQ kept none.
    await ensure_topics(kafka_settings, [INTAKE_TOPIC])
    dead_posting = b'{"kind": "approved"}'
    old = {
        "idempotency-key": "t-1",
        "consumer": "opstest.intake",
        "error": "refused",
        "authorization": "Bearer old-copied-token",
    }  # as parked before tokens were dropped
    await publish(kafka_settings, INTAKE_TOPIC + ".dlq", dead_posting, headers=old)
    [parked] = await cli.json("dlq", "list", "--topic", INTAKE_TOPIC)
    posting = f"{parked['partition']}:{parked['offset']}"
    assert "old-copied-token" not in await cli("dlq", "show", posting, "--topic", INTAKE_TOPIC)
    assert (await cli.json("dlq", "show", posting, "--topic", INTAKE_TOPIC))[
        "withheld_headers"
    ] == ["authorization"]
    refused = await cli("dlq", "redrive", "--all", "--topic", INTAKE_TOPIC, code=2)
    assert "--token" in refused
    await cli("dlq", "redrive", "--all", "--topic", INTAKE_TOPIC, "--token", "fresh")
    [redriven] = await read_topic(kafka_settings, INTAKE_TOPIC, 1)
    assert redriven.value == dead_posting
    assert dict(redriven.headers) == {
        "idempotency-key": b"t-1",
        "redriven-from": f"{INTAKE_TOPIC}.dlq/{posting.replace(':', '/')}".encode(),
        "authorization": b"Bearer fresh",
    }


async def test_status_and_metrics_show_the_lag_that_was_produced(
    engine, store, kafka_settings, database_url, tmp_path
) -> None:
    projection = fixable_projection({"now": False})
    spec = spec_with(projection, tmp_path)
    cli = Cli(spec, database_url, kafka_settings)
    await ensure_topics(kafka_settings, [TOPIC, OWN_TOPIC, INTAKE_TOPIC])

    # The relay: 5 events stored, 3 published.
    async with engine.begin() as conn:
        for n in range(5):
            await store.append(
                conn, "thing", f"s-{n}", 0, [NewEvent(type="test.thing.v1", data={"n": n})]
            )
    relay = OutboxRelay(engine, store, kafka_settings, OWN_TOPIC, name="opstest", batch_size=3)
    assert await relay.publish_pending() == 3
    await relay.close()
    # The projection: 10 applied, then 4 more produced.
    await publish(kafka_settings, TOPIC, *(household_registered() for _ in range(10)))
    assert await ProjectionConsumer(engine, projection, kafka_settings).catch_up() == 10
    await publish(kafka_settings, TOPIC, *(household_registered() for _ in range(4)))
    # The intake: 5 postings on partition 0, 3 of them committed by its group.
    producer = kafka.producer(kafka_settings)
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(INTAKE_TOPIC, b"{}", key=f"{n}".encode(), partition=0)
    finally:
        await producer.stop()
    group = kafka.consumer(kafka_settings, group_id="opstest.intake")
    await group.start()
    try:
        group.assign([TopicPartition(INTAKE_TOPIC, 0)])
        await group.commit({TopicPartition(INTAKE_TOPIC, 0): 3})
    finally:
        await group.stop()

    status = await cli.json("status")
    assert status["errors"] == []
    generation = await kafka.cluster_id(kafka_settings)  # the log everything counts in
    assert status["cluster"] == generation
    assert status["relay"] == {
        "relay": "opstest",
        "topic": OWN_TOPIC,
        "stored": 5,
        "published": 3,
        "lag": 2,
        "generation": generation,
    }
    lags = [c for c in status["consumers"] if c["consumer"] == "opstest.households"]
    assert len(lags) == 3 and {c["topic"] for c in lags} == {TOPIC}
    assert sum(c["end"] for c in lags) == 14 and sum(c["lag"] for c in lags) == 4
    assert all(c["lag"] == c["end"] - c["position"] for c in lags)
    # A partition the ten keys happened to miss (1 run in 20) has no offset stored yet.
    assert all(c["generation"] == generation for c in lags if c["position"])
    intake = {c["partition"]: c for c in status["consumers"] if c["consumer"] == "opstest.intake"}
    assert (intake[0]["position"], intake[0]["end"], intake[0]["lag"]) == (3, 5, 2)
    assert intake[0]["checkpoint"] == "kafka"
    assert {d["topic"]: d["depth"] for d in status["dead_letters"]} == {
        TOPIC + ".dlq": 0,
        INTAKE_TOPIC + ".dlq": 0,
    }
    table = await cli("status")
    assert "opstest.households" in table and "outbox relay" in table
    assert f"cluster (the log's generation) is {generation}" in table

    # The same figures on /metrics, measured when scraped.
    settings = OpsSettings(
        database_url=database_url,
        kafka=kafka_settings,
        run_relay=False,
        run_projections=False,
        metrics_refresh_seconds=0,
    )
    async with client_for(create_app(spec, settings)) as client:
        scraped = (await client.get("/metrics")).text
    assert 'tuopin_outbox_lag_events{relay="opstest"} 2.0' in scraped
    assert f'tuopin_dead_letters{{topic="{TOPIC}.dlq"}} 0.0' in scraped
    for c in lags:
        assert (
            f'tuopin_consumer_lag_messages{{consumer="opstest.households",partition='
            f'"{c["partition"]}",topic="{TOPIC}"}} {float(c["lag"])}'
        ) in scraped
    assert (
        f'tuopin_consumer_lag_messages{{consumer="opstest.intake",partition="0",'
        f'topic="{INTAKE_TOPIC}"}} 2.0'
    ) in scraped
