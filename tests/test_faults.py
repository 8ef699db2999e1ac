"""The whole stack, as `tuopin up` runs it, through what an operator does at 2 a.m.: the
stack stopped and started again on a fresh in-memory broker while var/ is kept, with
households filed before, imported while it was down, and filed after; a topic deleted
and recreated under the running stack; a rebuild tried before the log was whole again.

Every test ends with the cross-service invariant: every household in the registry is
known to loans, training and evaluation, each registry event was applied once by each
consumer, and evaluation rebuilt from the topic equals evaluation live.
"""

import asyncio
import csv
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import func, select, text

from tuopin_cli.stack import Stack
from tuopin_contracts import Topic
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.messaging.kafka import KafkaSettings, ensure_topics
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.store.schema import processed_events
from tuopin_eventkit.testing import ADMIN, bearer, eventually, service_command
from tuopin_registry.application import bulk
from tuopin_registry.examples import filing, member, resident_id

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

ADMIN_TOKEN = bearer(AuthSettings(), ADMIN)
VILLAGE = "621121100201"
CONSUMERS = {
    "loans": "loans.borrower_households",
    "training": "training.trainee_households",
    "evaluation": "evaluation.households",
}


def born(i: int) -> date:
    """A birth date per household, so the ID numbers never repeat across the test."""
    return date(1990, 1, 1) + timedelta(days=i)


async def file_households(stack: Stack, numbers: range) -> None:
    async with httpx.AsyncClient(
        base_url=stack.url("registry"), timeout=10, headers=ADMIN_TOKEN
    ) as registry:
        for i in numbers:
            head = member(name=f"户主{i}", id_number=resident_id(born(i)))
            answer = await registry.post(
                "/v1/households",
                json=filing(f"621121-{i:05d}", village=VILLAGE, members=[head]),
                headers={"Idempotency-Key": f"office-{i}"},
            )
            assert answer.status_code == 201, answer.text


def import_while_down(stack: Stack, numbers: range, tmp_path: Path) -> None:
    """The county's spreadsheet imported with the command line while the stack is down."""
    path = tmp_path / "backfill.csv"
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, list(bulk.COLUMNS))
        writer.writeheader()
        for i in numbers:
            writer.writerow(
                {
                    "file_number": f"621121-{i:05d}",
                    "county_code": VILLAGE[:6],
                    "village_code": VILLAGE,
                    "poverty_attribute": "一般贫困户",
                    "primary_cause": "因病",
                    "identified_year": "2016",
                    "effective_date": "2016-04-01",
                    "name": f"户主{i}",
                    "id_number": resident_id(born(i)),
                    "relation": "户主",
                }
            )
    env = {**os.environ, "TUOPIN_REGISTRY_DATABASE_URL": database_url(stack, "registry")}
    done = subprocess.run(
        [sys.executable, "-m", "tuopin_registry", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def database_url(stack: Stack, service: str) -> str:
    return stack.database_urls.get(service, f"sqlite+aiosqlite:///{stack.var / f'{service}.db'}")


async def registry_ids(stack: Stack) -> set[str]:
    async with httpx.AsyncClient(
        base_url=stack.url("registry"), timeout=10, headers=ADMIN_TOKEN
    ) as registry:
        page = (
            await registry.get("/v1/households", params={"region": VILLAGE[:6], "limit": 500})
        ).json()
    return {h["household_id"] for h in page["items"]}


async def applications(stack: Stack, service: str) -> tuple[int, int]:
    """(registry events the service's consumer applied, distinct event ids among them)."""
    engine = create_engine(database_url(stack, service))
    try:
        async with read_only(engine).connect() as conn:
            column = processed_events.c.event_id
            mine = (processed_events.c.consumer == CONSUMERS[service]) & (
                processed_events.c.source == "/tuopin/registry"
            )
            rows = await conn.scalar(select(func.count()).where(mine))
            distinct = await conn.scalar(select(func.count(func.distinct(column))).where(mine))
        return int(rows or 0), int(distinct or 0)
    finally:
        await engine.dispose()


async def assert_invariants(stack: Stack, households: int) -> None:
    """Every household of the registry known everywhere, each event applied once."""
    ids = await registry_ids(stack)
    assert len(ids) == households

    def client(service: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=stack.url(service), timeout=10, headers=ADMIN_TOKEN)

    async with (
        client("loans") as loans,
        client("training") as training,
        client("evaluation") as evaluation,
    ):

        async def everywhere() -> None:
            stats = (await evaluation.get("/v1/stats")).json()
            assert stats["total_households"] == households, stats
            for household_id in ids:
                eligibility = (await loans.get(f"/v1/borrowers/{household_id}/eligibility")).json()
                assert eligibility["eligible"] is True, eligibility
                assert (await training.get(f"/v1/households/{household_id}")).status_code == 200
            for service in CONSUMERS:  # one registration event per household, applied once
                assert await applications(stack, service) == (households, households), service

        await eventually(everywhere, timeout=90)


async def rebuild_evaluation(stack: Stack) -> tuple[int, str]:
    """`tuopin evaluation rebuild evaluation.households`, as ops run it (service stopped)."""
    env = {
        "TUOPIN_EVALUATION_DATABASE_URL": database_url(stack, "evaluation"),
        "TUOPIN_EVALUATION_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{stack.kafka_port}",
    }
    return await service_command("evaluation", "rebuild", "evaluation.households", env=env)


async def evaluated(stack: Stack) -> int:
    engine = create_engine(database_url(stack, "evaluation"))
    try:
        async with read_only(engine).connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM households")))
    finally:
        await engine.dispose()


async def test_a_restart_on_a_fresh_broker_loses_nothing_written_before_during_or_after(
    stack: Stack, tmp_path: Path
) -> None:
    await file_households(stack, range(0, 12))
    await assert_invariants(stack, 12)

    await asyncio.to_thread(stack.down)  # Ctrl-C: the in-memory broker's log is gone
    import_while_down(stack, range(12, 20), tmp_path)

    await asyncio.to_thread(stack.start_broker)  # a fresh broker, var/ kept
    code, output = await rebuild_evaluation(stack)  # the registry has not republished yet
    assert code == 1 and "rebuild refused" in output, output
    assert await evaluated(stack) == 12  # refused before deleting anything

    for service in stack.ports:
        await asyncio.to_thread(stack.start, service)
    for service in stack.ports:
        await asyncio.to_thread(stack.wait_ready, service)
    await file_households(stack, range(20, 30))
    await assert_invariants(stack, 30)

    await asyncio.to_thread(stack.stop, "evaluation")
    code, output = await rebuild_evaluation(stack)  # the log is whole again: rebuild = live
    assert code == 0, output
    assert await evaluated(stack) == 30
    await asyncio.to_thread(stack.start, "evaluation")
    await asyncio.to_thread(stack.wait_ready, "evaluation")
    await assert_invariants(stack, 30)


async def test_a_topic_recreated_under_the_running_stack_loses_nothing(stack: Stack) -> None:
    await file_households(stack, range(100, 110))
    await assert_invariants(stack, 10)

    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{stack.kafka_port}")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([Topic.REGISTRY.value])
        await asyncio.sleep(0.5)
    finally:
        await admin.close()
    await ensure_topics(settings, [Topic.REGISTRY.value])

    await file_households(stack, range(110, 118))
    await assert_invariants(stack, 18)
