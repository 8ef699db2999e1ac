"""End to end through real processes and a real broker, as `tuopin up` runs the system.

Households registered over HTTP on the registry are counted by evaluation and known to the
loans and training read models. Evaluation is killed (SIGKILL) mid-stream and restarted;
its counts are still exact: nothing lost, nothing counted twice.
"""

import asyncio
from collections import Counter
from collections.abc import Iterator

import httpx

from tuopin_cli.stack import Stack
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer, eventually
from tuopin_registry.examples import filing, member

# The embedded services share the local signing key: the province administrator calls.
ADMIN_TOKEN = bearer(AuthSettings(), ADMIN)

COUNTIES = {"621121": "621121100201", "620102": "620102001001", "623021": "623021200101"}


def households(n: int, start: int = 0) -> Iterator[dict[str, object]]:
    counties = list(COUNTIES.items())
    for i in range(start, start + n):
        county, village = counties[i % len(counties)]
        members = [member(name=f"户主{i}")] + [
            member("child", name=f"子女{i}-{k}") for k in range(i % 5)
        ]
        yield filing(f"{county}-{i:05d}", village=village, members=members)


async def register(
    client: httpx.AsyncClient, batch: list[dict[str, object]], first: int
) -> list[str]:
    ids = []
    for i, household in enumerate(batch, start=first):
        answer = await client.post(
            "/v1/households", json=household, headers={"Idempotency-Key": f"village-office-{i}"}
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["household_id"])
    return ids


async def test_registered_households_flow_to_every_service_and_survive_a_crash(
    stack: Stack,
) -> None:
    first, second = list(households(40)), list(households(40, start=40))
    expected = Counter(h["county_code"] for h in first + second)

    async with (
        httpx.AsyncClient(
            base_url=stack.url("registry"), timeout=10, headers=ADMIN_TOKEN
        ) as registry,
        httpx.AsyncClient(
            base_url=stack.url("evaluation"), timeout=10, headers=ADMIN_TOKEN
        ) as evaluation,
    ):
        ids = await register(registry, first, 0)

        async def some_counted() -> None:
            assert (await evaluation.get("/v1/stats")).json()["total_households"] > 0

        await eventually(some_counted)
        await asyncio.to_thread(stack.kill, "evaluation")  # mid-stream, no goodbye
        ids += await register(registry, second, 40)
        assert await register(registry, first[:5], 0) == ids[:5]  # retried posts: same answers

        await asyncio.to_thread(stack.start, "evaluation")
        await asyncio.to_thread(stack.wait_ready, "evaluation")

        async def all_counted() -> dict[str, object]:
            stats = (await evaluation.get("/v1/stats")).json()
            assert stats["total_households"] == 80
            return stats

        stats = await eventually(all_counted, timeout=60)
        assert {c["county_code"]: c["households"] for c in stats["counties"]} == expected
        assert stats["total_people"] == sum(len(h["members"]) for h in first + second)
        assert (await registry.get("/v1/events", params={"limit": 1000})).json()["head"] == 80

        async def all_published() -> None:
            metrics = (await registry.get("/metrics")).text
            assert 'tuopin_events_stored{relay="registry"} 80.0' in metrics
            assert 'tuopin_outbox_lag_events{relay="registry"} 0.0' in metrics

        await eventually(all_published)

    async with (
        httpx.AsyncClient(base_url=stack.url("loans"), timeout=10, headers=ADMIN_TOKEN) as loans,
        httpx.AsyncClient(
            base_url=stack.url("training"), timeout=10, headers=ADMIN_TOKEN
        ) as training,
    ):

        async def all_known() -> None:
            for household_id in ids:
                eligibility = (await loans.get(f"/v1/borrowers/{household_id}/eligibility")).json()
                assert eligibility["eligible"] is True, eligibility
                assert (await training.get(f"/v1/households/{household_id}")).status_code == 200

        await eventually(all_known, timeout=60)
        stranger = "00000000-0000-4000-8000-000000000000"
        refused = (await loans.get(f"/v1/borrowers/{stranger}/eligibility")).json()
        assert refused["eligible"] is False and "未建档立卡" in refused["reasons"][0]
        unknown = await training.get(f"/v1/households/{stranger}")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        metrics = (await loans.get("/metrics")).text
        applied = 'consumer="loans.borrower_households",outcome="applied"} 80.0'
        assert f"tuopin_events_consumed_total{{{applied}" in metrics
