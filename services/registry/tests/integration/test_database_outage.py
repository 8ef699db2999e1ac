"""The registry through a PostgreSQL outage of some 15 s, on a server of the test's own.

While the database is down every request answers 503 with Retry-After and a problem body;
the service recovers on its own once the server is back (no restart), and filings
retried with their idempotency keys are filed exactly once — whether their first try
fell before the outage, into its first instant, or inside it. Nothing half-written:
every household has its event, its members and their sealed numbers, or none of them.
"""

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import select, text

from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store.schema import relay_checkpoints
from tuopin_eventkit.testing import PostgresServer, client_for, eventually
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing

pytestmark = pytest.mark.faults

OUTAGE_SECONDS = 15
T = TypeVar("T")


def assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "5"
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["title"]) == (503, "Service unavailable"), problem
    assert problem["type"].endswith("/unavailable")


async def test_an_outage_answers_503_and_retries_afterwards_file_once(
    own_postgres: PostgresServer, kafka_settings
) -> None:
    settings = RegistrySettings(database_url=own_postgres.url, kafka=kafka_settings)
    filings = {f"office-621121-{i:04d}": filing(f"621121-{i:04d}") for i in range(15)}
    keys = list(filings)
    before, at_the_stop, during = keys[:5], keys[5:10], keys[10:]

    async with client_for(app(settings)) as client:

        async def file(key: str) -> httpx.Response:
            headers = {"Idempotency-Key": key}
            return await client.post("/v1/households", json=filings[key], headers=headers)

        first = {key: await file(key) for key in before}
        assert {a.status_code for a in first.values()} == {201}

        # The server stops (sessions terminated, open transactions rolled back) while five
        # filings are under way: each is filed, or answers 503.
        async def later(seconds: float, then: Awaitable[T]) -> T:
            await asyncio.sleep(seconds)
            return await then

        *first_tries, _ = await asyncio.gather(
            *(later(0.03 * i, file(key)) for i, key in enumerate(at_the_stop)),
            later(0.05, asyncio.to_thread(own_postgres.stop)),
        )
        for answer in first_tries:
            if answer.status_code != 201:
                assert_unavailable(answer)
        first |= {k: a for k, a in zip(at_the_stop, first_tries, strict=True) if a.is_success}

        down = time.monotonic()
        tries = 0
        while time.monotonic() - down < OUTAGE_SECONDS:
            assert_unavailable(await file(during[tries % len(during)]))
            assert_unavailable(await client.get("/v1/households"))
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
            assert (await client.get("/healthz")).status_code == 200
            tries += 1
            await asyncio.sleep(1.0)
        assert tries >= len(during)

        await asyncio.to_thread(own_postgres.start)

        async def back() -> None:
            assert (await client.get("/readyz")).status_code == 200

        await eventually(back, timeout=30)
        # Every filing again with its key: the ones filed before (or at the stop) answer
        # their first answer, the others are filed now — all 201, each once.
        answers = {key: await file(key) for key in keys}
        assert {k: a.status_code for k, a in answers.items()} == dict.fromkeys(keys, 201)
        for key, answer in first.items():  # filed before the outage: the first answer
            assert answers[key].headers.get("idempotent-replayed") == "true"
            assert answers[key].json() == answer.json()
        for key in during:
            assert "idempotent-replayed" not in answers[key].headers

        listed = (await client.get("/v1/households", params={"limit": 100})).json()
        assert listed["total"] == 15
        assert sorted(h["file_number"] for h in listed["items"]) == sorted(
            f["file_number"] for f in filings.values()
        )
        assert (await client.get("/v1/events")).json()["head"] == 15

        engine = create_engine(own_postgres.url)
        try:
            async with engine.connect() as conn:

                async def count(table: str) -> int:
                    return int(await conn.scalar(text(f"SELECT count(*) FROM {table}")))

                assert await count("events") == await count("households") == 15
                assert await count("household_members") == await count("people") == 45
                assert await count("idempotency_keys") == 15

            async def published() -> None:  # the relay caught up as well, not restarted either
                async with engine.connect() as conn:
                    position = await conn.scalar(select(relay_checkpoints.c.position))
                assert position == 15

            await eventually(published, timeout=30)
        finally:
            await engine.dispose()
