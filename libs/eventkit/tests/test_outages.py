"""Outages of the database, on a small service built like the real ones: HTTP answers
503 with Retry-After and a problem body (never 500), /readyz says not ready, and the
Kafka consumers — projections and partners' intake — take the same messages again once
the database is back instead of dead-lettering them. Real databases throughout: a
PostgreSQL server of the test's own, stopped and started again; a port nobody listens
on; a SQLite pool with no connection to spare."""

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel
from sqlalchemy import exc as sa
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tuopin_contracts import Topic
from tuopin_contracts.examples import household_registered
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.broker import free_port
from tuopin_eventkit.outage import transient
from tuopin_eventkit.security import auth
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import NewEvent
from tuopin_eventkit.testing import (
    ADMIN,
    OwnSettings,
    bearer,
    client_for,
    eventually,
    own_spec,
    publish,
)
from tuopin_eventkit.web.inbound import Intake
from tuopin_eventkit.web.runtime import Runtime
from tuopin_eventkit.web.service import create_app

from .conftest import counting_projection, read_model

pytestmark = pytest.mark.faults


def service(tmp_path: Path, settings: ServiceSettings, **spec: Any) -> FastAPI:
    own = own_spec(tmp_path, spec.pop("name", "outages"), title="Outages", **spec)
    return create_app(own, settings)


def assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["status"] == 503 and problem["type"].endswith("/unavailable"), problem


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (sa.TimeoutError("QueuePool limit of size 1 overflow 0 reached"), True),
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError("Multiple exceptions: [Errno 111] …, [Errno 99] …"), True),
        (TimeoutError(), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.TooManyConnectionsError("too many clients already"), True),
        (sa.OperationalError("SELECT 1", {}, Exception("database is locked")), True),
        # asyncpg's "connection was closed in the middle of operation" comes wrapped as a
        # plain DBAPIError; its SQLSTATE (08003) tells.
        (sa.DBAPIError("SELECT 1", {}, asyncpg.ConnectionDoesNotExistError("closed")), True),
        (sa.IntegrityError("INSERT", {}, Exception("duplicate key")), False),
        (sa.ProgrammingError("SELEC", {}, Exception("syntax error")), False),
        (FileNotFoundError("reference.csv"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_an_outage(exc: Exception, expected: bool) -> None:
    assert transient(exc) is expected
    wrapped = RuntimeError("while handling")
    wrapped.__cause__ = exc
    assert transient(wrapped) is expected


async def test_http_answers_an_unreachable_database_503_and_a_bug_500(tmp_path: Path) -> None:
    refused = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none")
    # One connection and no waiting: held by the test, the pool is exhausted at once.
    pool = create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
        pool_size=1,
        max_overflow=0,
        pool_timeout=0.2,
    )
    router = APIRouter()

    async def query(engine: AsyncEngine) -> dict[str, int]:
        async with engine.connect() as conn:
            return {"one": await conn.scalar(text("SELECT 1"))}

    @router.get("/v1/refused")
    async def _refused() -> dict[str, int]:
        return await query(refused)

    @router.get("/v1/exhausted")
    async def _exhausted() -> dict[str, int]:
        return await query(pool)

    @router.get("/v1/bug")
    async def _bug() -> dict[str, int]:
        raise ValueError("a bug, not an outage")

    policy = {f"GET /v1/{name}": auth.public() for name in ("refused", "exhausted", "bug")}
    # The service's own database is the unreachable one too: not ready.
    settings = OwnSettings(
        database_url=refused.url.render_as_string(),
        migrate_on_start=False,
        kafka=kafka.KafkaSettings(bootstrap_servers="127.0.0.1:1"),  # nothing talks to Kafka
    )
    app = service(tmp_path, settings, routers=[router], access=policy)
    try:
        async with client_for(app) as client, pool.connect():
            assert_unavailable(await client.get("/v1/refused"))
            assert_unavailable(await client.get("/v1/exhausted"))
            # A bug stays a 500 (and reaches the server's log: Starlette re-raises it).
            server = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=server, base_url="http://test") as raw:
                bug = await raw.get("/v1/bug")
            assert bug.status_code == 500 and "retry-after" not in bug.headers
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
            assert ready.json()["checks"]["database"].startswith("unreachable")
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await refused.dispose()
        await pool.dispose()


class Posting(BaseModel):
    ref: str


async def take_posting(runtime: Runtime, posting: Posting, key: str) -> Outcome:
    """A partner's posting: one event in its own stream, at most once per key."""

    async def command(conn) -> Outcome:
        event = NewEvent("test.posted.v1", {"ref": posting.ref})
        await runtime.store.append(conn, "posting", posting.ref, 0, [event])
        return Outcome({"ref": posting.ref}, created=True)

    return await runtime.execute("posting", key, posting.model_dump(), command)


INBOUND, TOPIC = "test.outages.inbound", Topic.REGISTRY.value


def dead_letters(consumer: str) -> float:
    labels = {"consumer": consumer, "outcome": "dead_letter"}
    return REGISTRY.get_sample_value("tuopin_events_consumed_total", labels) or 0.0


async def test_a_database_outage_is_503_on_http_and_a_retry_on_kafka(
    tmp_path: Path, own_postgres, kafka_settings
) -> None:
    engine = create_engine(own_postgres.url)
    async with engine.begin() as conn:
        await conn.run_sync(read_model.create_all)
    await engine.dispose()
    settings = OwnSettings(database_url=own_postgres.url, kafka=kafka_settings)
    app = service(
        tmp_path,
        settings,
        name="outages",
        projections=[counting_projection("outages.count")],
        intake=Intake(INBOUND, Posting, take_posting, auth.Rule(auth.Access.WRITE)),
    )
    token = bearer(settings.auth, ADMIN)["Authorization"]

    async def post(ref: str) -> None:
        headers = {"idempotency-key": ref, "authorization": token}
        await publish(kafka_settings, INBOUND, json.dumps({"ref": ref}).encode(), headers=headers)

    async with client_for(app) as client:
        runtime: Runtime = app.state.runtime

        async def flowing(households: int, postings: int) -> None:
            feed = await client.get("/v1/events")
            assert feed.status_code == 200 and feed.json()["head"] == postings, feed.text
            async with runtime.reader.connect() as conn:
                count = await conn.scalar(text("SELECT count(*) FROM test_households_per_county"))
            assert count == households

        await kafka.ensure_topics(kafka_settings, [TOPIC, INBOUND])
        await publish(kafka_settings, TOPIC, household_registered())
        await post("P-1")
        await eventually(lambda: flowing(households=1, postings=1), timeout=60)

        await asyncio.to_thread(own_postgres.stop)
        down = time.monotonic()
        await publish(kafka_settings, TOPIC, *(household_registered() for _ in range(3)))
        await post("P-2")
        await post("P-2")  # redelivered: still once
        assert_unavailable(await client.get("/v1/events"))
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        assert (await client.get("/healthz")).status_code == 200
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - down)))  # both consumers retry
        assert dead_letters("outages.count") == dead_letters("outages.intake") == 0

        await asyncio.to_thread(own_postgres.start)
        await eventually(lambda: flowing(households=4, postings=2), timeout=60)
        assert (await client.get("/readyz")).status_code == 200
        assert dead_letters("outages.count") == dead_letters("outages.intake") == 0
