"""Registering households over HTTP: events appended, idempotent retries, clear errors."""

import pytest

from tuopin_eventkit.testing import client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app

HOUSEHOLD = {
    "county_code": "621121",
    "village_code": "621121100201",
    "head_name": "王建国",
    "size": 4,
}


@pytest.fixture
def settings(database_url: str, kafka_settings) -> RegistrySettings:
    return RegistrySettings(database_url=database_url, kafka=kafka_settings, run_relay=False)


async def test_registering_a_household_appends_one_event(settings: RegistrySettings) -> None:
    async with client_for(app(settings)) as client:
        created = await client.post(
            "/v1/households", json=HOUSEHOLD, headers={"X-Actor": "county:621121"}
        )
        assert created.status_code == 201, created.text
        household = created.json()
        assert household["status"] == "identified" and household["version"] == 1
        assert created.headers["location"] == f"/v1/households/{household['household_id']}"

        history = (await client.get(f"/v1/households/{household['household_id']}/history")).json()
        [event] = history["events"]
        assert event["type"] == "registry.household.registered.v1"
        assert event["subject"] == household["household_id"]
        assert event["sequence"] == 1
        assert event["actor"] == "county:621121"
        assert event["correlationid"] == created.headers["x-correlation-id"]
        assert event["data"]["village_code"] == HOUSEHOLD["village_code"]

        feed = (await client.get("/v1/events", params={"after": 0})).json()
        assert [item["event"]["id"] for item in feed["items"]] == [event["id"]]
        assert feed["head"] == 1 and feed["next_after"] == 1


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(settings) -> None:
    async with client_for(app(settings)) as client:
        headers = {"Idempotency-Key": "office-621121-0001"}
        first = await client.post("/v1/households", json=HOUSEHOLD, headers=headers)
        again = await client.post("/v1/households", json=HOUSEHOLD, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert (await client.get("/v1/events")).json()["head"] == 1

        other = await client.post("/v1/households", json={**HOUSEHOLD, "size": 5}, headers=headers)
        assert other.status_code == 422
        assert other.headers["content-type"] == "application/problem+json"
        assert other.json()["type"].endswith("/idempotency-key-reused")
        assert (await client.get("/v1/events")).json()["head"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"county_code": "110101"}, "county_code"),
        ({"village_code": "621122100201"}, None),
        ({"size": 0}, "size"),
        ({"head_name": ""}, "head_name"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_bad_input_is_a_problem_and_writes_nothing(settings, change, field) -> None:
    async with client_for(app(settings)) as client:
        answer = await client.post("/v1/households", json={**HOUSEHOLD, **change})
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["status"] == 422 and problem["title"]
        if field:
            assert any(e["loc"][-1] == field for e in problem["errors"])
        else:
            assert "does not lie in county" in problem["detail"]
        assert (await client.get("/v1/events")).json()["head"] == 0


async def test_unknown_household_is_a_404_problem(settings) -> None:
    async with client_for(app(settings)) as client:
        answer = await client.get("/v1/households/8f14e45f-ceea-4671-8e9f-36b5e5b0b1a1")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
