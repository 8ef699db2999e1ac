"""The exit handshake between two real services through the real broker: the registry
puts an exit on public notice, evaluation judges it from the facts it received as
events, and the registry exits the household — or returns it to assistance with the
criteria it failed."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from tuopin_cli.stack import Stack
from tuopin_cli.testing import some_of
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer, eventually
from tuopin_registry.examples import filing, member, resident_id

# The embedded services share the local signing key: the province administrator calls.
ADMIN_TOKEN = bearer(AuthSettings(), ADMIN)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with some_of(tmp_path, "registry", "evaluation") as stack:
        yield stack


def insured(relation: str, **more) -> dict:
    return member(relation, medical_insurance=True, **more)


async def exit_proposed(registry: httpx.AsyncClient, number: str, housing_safe: bool) -> str:
    members = [
        insured("head", id_number=resident_id()),
        insured("child", id_number=resident_id(date(2007, 3, 1)), schooling="primary"),
    ]
    household = (await registry.post("/v1/households", json=filing(number, members=members))).json()
    steps = [
        ("assistance", {"effective_date": "2016-05-01"}),
        (
            "incomes",
            {
                "effective_date": "2017-09-30",
                "year": 2017,
                "wages": 600_000,
                "production_and_business": 200_000,
                "property": 0,
                "transfers": 20_000,
            },
        ),
        (
            "conditions",
            {
                "effective_date": "2017-09-30",
                "housing_safe": housing_safe,
                "drinking_water_safe": True,
            },
        ),
        ("exit-proposal", {"appraisal_date": "2017-10-01"}),
        ("exit-notice", {"notice_from": "2017-10-02", "notice_until": "2017-10-08"}),
    ]
    household_id = household["household_id"]
    for path, body in steps:
        answer = await registry.post(f"/v1/households/{household_id}/{path}", json=body)
        assert answer.status_code == 200, answer.text
    return household_id


async def test_evaluation_decides_exits_and_the_registry_follows(stack: Stack) -> None:
    async with httpx.AsyncClient(
        base_url=stack.url("registry"), timeout=10, headers=ADMIN_TOKEN
    ) as registry:
        ready = await exit_proposed(registry, "621121-0001", housing_safe=True)
        unsafe = await exit_proposed(registry, "621121-0002", housing_safe=False)

        async def decided() -> tuple[dict, dict]:
            a = (await registry.get(f"/v1/households/{ready}")).json()
            b = (await registry.get(f"/v1/households/{unsafe}")).json()
            assert (a["status"], b["status"]) == ("exited", "assisting")
            return a, b

        await eventually(decided, timeout=60)
        rejected = (await registry.get(f"/v1/households/{unsafe}/history")).json()["events"][-1]
        assert rejected["type"] == "registry.household.exit_rejected.v1"
        assert rejected["data"]["failed_criteria"] == ["housing_safe"]
        exited = (await registry.get(f"/v1/households/{ready}/history")).json()["events"][-1]
        assert exited["type"] == "registry.household.exited.v1"
        # In force from the notice's last day, the day evaluation judged it as of.
        assert exited["data"]["effective_date"] == "2017-10-08"

    async with httpx.AsyncClient(
        base_url=stack.url("evaluation"), timeout=10, headers=ADMIN_TOKEN
    ) as evaluation:
        verdicts = [item["event"] for item in (await evaluation.get("/v1/events")).json()["items"]]
        by_household = {v["data"]["household_id"]: v["data"] for v in verdicts}
        assert len(verdicts) == 2
        assert by_household[ready]["passed"] is True
        assert by_household[ready]["as_of"] == "2017-10-08"
        income = next(c for c in by_household[ready]["criteria"] if c["name"] == "income_per_head")
        assert income == {
            "name": "income_per_head",
            "value": "4100.00",
            "threshold": "> 3335.00 (2017)",
            "passed": True,
        }
        assert [c["name"] for c in by_household[unsafe]["criteria"] if not c["passed"]] == [
            "housing_safe"
        ]
