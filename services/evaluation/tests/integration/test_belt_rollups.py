"""Seed 一.1 (对225个特困片带和6220个贫困村…统一识别标准、统一数据口径): the roll-up by
special-hardship belt, through the real broker. The registry's village events name a belt
by code (and its name), or — before belts were reference data — by free text only
(legacy); evaluation sums each belt's villages of the region asked about, as of any day.

    T-HJL  …621121100201 poor [100] h1 3 people, exited 2017-10-08
           …621122100201 poor [200], registered 2017-01-01: h2 2 people from 2017-02-01
    legacy "定西特困片带" (free text) …621121200101 poor [300]: h3 4 people
    no belt …621121300101 not poor [150]: h4 1 person
"""

from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from tuopin_contracts import Envelope, EventData, Topic, examples
from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import PovertyAttribute, PovertyCause, Relation
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, eventually, publish

V1, V2, V3, V4 = "621121100201", "621122100201", "621121200101", "621121300101"


def envelope(subject: str, sequence: int, data: EventData) -> Envelope:
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=subject,
        time=datetime.now(UTC),
        data=data.model_dump(mode="json", exclude_none=True),
        sequence=sequence,
    )


def village(code: str, poor: bool, people: int, on: date, **belt: str) -> Envelope:
    # As a producer wrote it: a legacy event has no hardship_belt_code key at all.
    fields = {
        "village_code": code,
        "effective_date": on,
        "name": f"村{code[-3:]}",
        "poor": poor,
        "rural_population": people,
        **belt,
    }
    return envelope(code, 1, reg.VillageRegisteredV1.model_validate(fields))


def household(code: str, size: int, on: date, exited: date | None = None) -> list[Envelope]:
    hid = uuid4()
    members = [
        reg.SealedMember(person_id=uuid4(), relation=Relation.HEAD if i == 0 else Relation.CHILD)
        for i in range(size)
    ]
    facts: list[EventData] = [
        reg.HouseholdRegisteredV3(
            household_id=hid,
            effective_date=on,
            file_number=f"F{hid.hex[:10]}",
            county_code=code[:6],
            village_code=code,
            poverty_attribute=PovertyAttribute.GENERAL,
            primary_cause=PovertyCause.ILLNESS,
            members=members,
            identified_year=on.year,
        )
    ]
    if exited is not None:
        facts.append(examples.exited(hid, exited))
    return [envelope(str(hid), n, f) for n, f in enumerate(facts, start=1)]


HJL = {"hardship_belt_code": "T-HJL", "hardship_belt": "华家岭特困片带(测试)"}


@pytest.fixture
async def client(database_url, kafka_settings):
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    events = [
        village(V1, True, 100, date(2016, 1, 1), **HJL),
        village(V2, True, 200, date(2017, 1, 1), **HJL),
        village(V3, True, 300, date(2016, 1, 1), hardship_belt="定西特困片带"),
        village(V4, False, 150, date(2016, 1, 1)),
        *household(V1, 3, date(2016, 4, 1), exited=date(2017, 10, 8)),
        *household(V2, 2, date(2017, 2, 1)),
        *household(V3, 4, date(2016, 4, 1)),
        *household(V4, 1, date(2016, 4, 1)),
    ]
    await publish(kafka_settings, Topic.REGISTRY, *events)
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def arrived() -> None:
            rows = (await belts(client))["rows"]
            assert sum(row["poor_households"] for row in rows) == 2, rows
            assert sum(sum(row["exits"].values()) for row in rows) == 1, rows

        await eventually(arrived)
        yield client


async def belts(client, expect: int = 200, **params: str) -> dict[str, Any]:
    answer = await client.get("/v1/rollups/belts", params=params)
    assert answer.status_code == expect, answer.text
    return answer.json()


def figures(report: dict) -> dict[str | None, dict]:
    keys = [
        "name",
        "legacy",
        "villages",
        "poor_villages",
        "poor_households",
        "poor_people",
        "rural_population",
        "incidence",
        "exits",
    ]
    return {row["code"]: {k: row[k] for k in keys} for row in report["rows"]}


async def test_seed_1_1_figures_are_summed_by_belt_and_legacy_names_kept(client) -> None:
    report = await belts(client)
    assert report["villages_outside_belts"] == 1  # V4
    assert report["rule_set"] == "gansu-2016"
    assert figures(report) == {
        "T-HJL": {
            "name": "华家岭特困片带(测试)",
            "legacy": False,
            "villages": 2,
            "poor_villages": 2,
            "poor_households": 1,
            "poor_people": 2,
            "rural_population": 300,
            "incidence": "0.0067",
            "exits": {"2017": 1},
        },
        None: {
            "name": "定西特困片带",
            "legacy": True,
            "villages": 1,
            "poor_villages": 1,
            "poor_households": 1,
            "poor_people": 4,
            "rural_population": 300,
            "incidence": "0.0133",
            "exits": {},
        },
    }
    assert [row["level"] for row in report["rows"]] == ["belt", "belt"]


async def test_seed_1_1_belt_rollup_as_of_a_day(client) -> None:
    """On 2016-12-31 陇西's village was not yet registered and h1 had not exited."""
    report = await belts(client, as_of="2016-12-31")
    assert report["as_of"] == "2016-12-31"
    hjl = figures(report)["T-HJL"]
    assert (hjl["villages"], hjl["poor_households"], hjl["poor_people"]) == (1, 1, 3)
    assert (hjl["rural_population"], hjl["incidence"], hjl["exits"]) == (100, "0.0300", {})


async def test_seed_1_1_belt_rollup_is_scoped_to_the_region_asked(client) -> None:
    longxi = await belts(client, region="621122")
    assert list(figures(longxi)) == ["T-HJL"] and longxi["villages_outside_belts"] == 0
    assert figures(longxi)["T-HJL"]["poor_people"] == 2
    tongwei = figures(await belts(client, region="621121"))
    assert set(tongwei) == {"T-HJL", None} and tongwei["T-HJL"]["villages"] == 1


async def test_belt_rollup_refuses_bad_queries(client) -> None:
    for params in [
        {"region": "12"},
        {"level": "county"},
        {"as_of": "2016-1-1"},
        {"rules": "no-such-rules"},
    ]:
        answer = await client.get("/v1/rollups/belts", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
