"""Concurrent twins on the registry: ten identical requests at once, ten rounds.

With one Idempotency-Key, every request gets the first answer (status and body) and one
household is filed; without a key, one request files it and the rest answer 409 naming
that household — never a 500 from a unique index, on SQLite as on PostgreSQL. The same
for one person joining many households at once, and one village registered by many.
"""

import asyncio
import random
from datetime import date
from typing import Any

import httpx
import pytest

from tuopin_registry.examples import filing, member, new_village, resident_id

pytestmark = pytest.mark.faults

ROUNDS, TWINS = 10, 10


async def at_once(
    client: httpx.AsyncClient, posts: list[tuple[str, dict[str, Any], dict[str, str]]]
) -> list[httpx.Response]:
    """POST (path, body, headers) all at once, each a few milliseconds apart so that each
    round catches the others at a different point of their transactions."""

    async def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        await asyncio.sleep(0.003 * TWINS * random.random())
        return await client.post(path, json=body, headers=headers)

    return await asyncio.gather(*(post(*p) for p in posts))


def seen(answers: list[httpx.Response]) -> list[tuple[int, str]]:
    return [(a.status_code, a.text) for a in answers]


async def head_of_feed(client: httpx.AsyncClient) -> int:
    return (await client.get("/v1/events")).json()["head"]


async def test_twins_with_one_idempotency_key_all_get_the_first_answer(client) -> None:
    for round_ in range(ROUNDS):
        body = filing(f"621121-{round_:04d}")
        headers = {"Idempotency-Key": f"office-621121-{round_:04d}"}
        answers = await at_once(client, [("/v1/households", body, headers)] * TWINS)
        first = [a for a in answers if "idempotent-replayed" not in a.headers]
        assert len(first) == 1, seen(answers)
        assert first[0].status_code == 201, first[0].text
        # PostgreSQL keeps the stored answer as JSONB (its own key order): same JSON, then.
        assert all((a.status_code, a.json()) == (201, first[0].json()) for a in answers)
        assert await head_of_feed(client) == round_ + 1  # one household per round


async def test_identical_filings_without_a_key_file_once_and_name_the_household(client) -> None:
    for round_ in range(ROUNDS):
        body = filing(f"621121-{round_:04d}")
        answers = await at_once(client, [("/v1/households", body, {})] * TWINS)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * (TWINS - 1), seen(answers)
        [created] = [a.json()["household_id"] for a in answers if a.status_code == 201]
        refused = [a.json() for a in answers if a.status_code == 409]
        assert all(r["existing_household"] == created for r in refused), refused
        assert await head_of_feed(client) == round_ + 1


async def test_one_person_joining_many_households_at_once_joins_one(client) -> None:
    filed = [
        (await client.post("/v1/households", json=filing(f"621121-{i:04d}"))).json()
        for i in range(TWINS)
    ]
    for round_ in range(ROUNDS):
        newborn = member("child", id_number=resident_id(date(2010, 1, 1 + round_)))
        joining = {"member": newborn, "effective_date": "2017-01-01"}
        paths = [f"/v1/households/{h['household_id']}/members" for h in filed]
        answers = await at_once(client, [(path, joining, {}) for path in paths])
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [409] * (TWINS - 1), seen(answers)
        [joined] = [a.json()["household_id"] for a in answers if a.status_code == 200]
        refused = [a.json() for a in answers if a.status_code == 409]
        assert all(r["existing_household"] == joined for r in refused), refused
    assert await head_of_feed(client) == TWINS + ROUNDS


async def test_one_village_registered_at_once_by_many_is_registered_once(client) -> None:
    for round_ in range(ROUNDS):
        village = new_village(f"6211211002{round_:02d}")
        answers = await at_once(client, [("/v1/villages", village, {})] * TWINS)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * (TWINS - 1), seen(answers)
        refused = [a.json()["detail"] for a in answers if a.status_code == 409]
        assert all("already registered" in detail for detail in refused), refused
    assert await head_of_feed(client) == ROUNDS
