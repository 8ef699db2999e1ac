"""The exit handshake through the real broker: the registry publicises an exit, the
evaluation service's verdict arrives as an event, and only then is the household exited
(or sent back to assistance with the failed criteria). Everything the registry publishes
on its topic reads back under the contracts."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from tuopin_contracts import Envelope, Topic, catalogue
from tuopin_contracts.dates import business_date
from tuopin_contracts.events.evaluation import Criterion, ExitVerifiedV1
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, eventually, publish, read_topic
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing


@pytest.fixture
async def client(database_url, kafka_settings):
    await ensure_topics(kafka_settings, [Topic.EVALUATION, Topic.REGISTRY])
    settings = RegistrySettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:
        yield client


def verdict(household_id: str, passed: bool) -> Envelope:
    data = ExitVerifiedV1(
        verification_id=uuid4(),
        household_id=household_id,
        year=2017,
        passed=passed,
        criteria=[
            Criterion(name="income_per_head", value="4210.00", threshold="3100.00", passed=True),
            Criterion(
                name="housing_safe", value=str(passed).lower(), threshold="true", passed=passed
            ),
        ],
    )
    return Envelope(
        id=uuid4(),
        source="/tuopin/evaluation",
        type=data.TYPE,
        subject=str(data.verification_id),
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        sequence=1,
        actor="evaluation",
    )


async def on_notice(client, number: str) -> str:
    h = (await client.post("/v1/households", json=filing(number))).json()
    for path, body in [
        ("assistance", {"effective_date": "2016-05-01"}),
        ("exit-proposal", {"appraisal_date": "2017-10-01"}),
        ("exit-notice", {"notice_from": "2017-10-02", "notice_until": "2017-10-08"}),
    ]:
        answer = await client.post(f"/v1/households/{h['household_id']}/{path}", json=body)
        assert answer.status_code == 200, answer.text
    return h["household_id"]


async def status(client, household_id: str) -> str:
    return (await client.get(f"/v1/households/{household_id}")).json()["status"]


async def test_verdicts_from_evaluation_exit_or_return_the_household(
    client, kafka_settings
) -> None:
    passing, failing = (
        await on_notice(client, "621121-0001"),
        await on_notice(client, "621121-0002"),
    )
    approval = verdict(passing, passed=True)
    await publish(
        kafka_settings, Topic.EVALUATION, approval, verdict(failing, passed=False), approval
    )

    async def concluded() -> None:
        assert await status(client, passing) == "exited"
        assert await status(client, failing) == "assisting"

    await eventually(concluded)
    history = (await client.get(f"/v1/households/{failing}/history")).json()["events"]
    assert history[-1]["type"] == "registry.household.exit_rejected.v1"
    assert history[-1]["data"]["failed_criteria"] == ["housing_safe"]
    assert history[-1]["causationid"] is not None and history[-1]["actor"] == "evaluation"
    exited = (await client.get(f"/v1/households/{passing}/history")).json()["events"]
    assert [e["type"] for e in exited].count(
        "registry.household.exited.v1"
    ) == 1  # redelivered once

    # What the registry published reads back, every event, under the contracts.
    head = (await client.get("/v1/events")).json()["head"]
    records = await read_topic(kafka_settings, Topic.REGISTRY, head)
    for record in records:
        envelope = Envelope.from_json(record.value)
        catalogue.read(envelope.type, envelope.data, business_date(envelope.time))
        assert record.key == envelope.subject.encode()
    assert {Envelope.from_json(r.value).type for r in records} >= {
        "registry.household.registered.v3",
        "registry.household.exited.v1",
        "registry.household.exit_rejected.v1",
    }
