"""A third-party assessment end to end: the registry's households arrive through the real
broker, an assessor draws a seeded sample over HTTP, records findings and a survey,
publishes — and the published rates go out on ``tuopin.evaluation.events``."""

from collections import Counter
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID, uuid4

from sqlalchemy import func, select

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import (
    HouseholdRemovedV1,
    Member,
)
from tuopin_contracts.examples import exited, filed_v2
from tuopin_contracts.vocabulary import Relation
from tuopin_evaluation.application.facts import households
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish, read_topic

COUNTY = "621121"
VILLAGES = {f"{COUNTY}100201": 12, f"{COUNTY}100202": 8, f"{COUNTY}100203": 4}


def registered(village_code: str, size: int) -> Envelope:
    household_id = uuid4()
    members = [
        Member(
            person_id=uuid4(),
            name="户主" if i == 0 else f"成员{i}",
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
        )
        for i in range(size)
    ]
    data = filed_v2(household_id, village_code, members)
    return envelope(data, data.household_id, 1)


def exited_2016(household_id: UUID) -> Envelope:
    return envelope(exited(household_id, date(2016, 12, 20)), household_id, 2)


def removed(household_id: UUID) -> Envelope:
    data = HouseholdRemovedV1(
        household_id=household_id,
        effective_date=date(2016, 6, 1),
        status="removed",
        reason="识别不准",
    )
    return envelope(data, data.household_id, 2)


def rate(numerator: int, denominator: int) -> Decimal:
    if denominator == 0:
        return Decimal("0.0000")
    return (Decimal(numerator) / denominator).quantize(Decimal("0.0001"), ROUND_HALF_UP)


async def the_county_is_known(database_url: str) -> None:
    """Wait until evaluation's households projection holds the whole register."""
    engine = create_engine(database_url)
    try:

        async def counted() -> None:
            async with read_only(engine).connect() as conn:
                rows = await conn.execute(
                    select(households.c.status, func.count())
                    .where(households.c.county_code == COUNTY)
                    .group_by(households.c.status)
                )
                assert dict(rows.all()) == {"identified": 16, "exited": 8, "removed": 1}

        await eventually(counted)
    finally:
        await engine.dispose()


async def test_an_assessment_is_drawn_recorded_published_and_announced(
    database_url, kafka_settings
) -> None:
    filings = [
        registered(village, 1 + i % 4) for village, count in VILLAGES.items() for i in range(count)
    ]
    sizes = {e.data["household_id"]: len(e.data["members"]) for e in filings}
    exits = [exited_2016(UUID(e.subject)) for e in filings[::3]]  # 8 of 24 exited
    gone = registered(f"{COUNTY}100201", 2)  # removed: not in the frame
    elsewhere = registered("620102001001", 3)  # another county
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        *filings,
        *exits,
        gone,
        removed(UUID(gone.subject)),
        elsewhere,
    )
    exited_ids = {e.subject for e in exits}

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:
        await the_county_is_known(database_url)

        # -- the draw: proportional, seeded, idempotent --
        order = {
            "county_code": COUNTY,
            "year": 2017,
            "assessor": "兰州大学第三方评估组",
            "sample_size": 12,
            "seed": 20171101,
        }
        first = await client.post("/v1/assessments", json=order, headers={"Idempotency-Key": "d1"})
        assert first.status_code == 201, first.text
        drawn = first.json()
        assessment_id = drawn["assessment_id"]
        assert first.headers["location"] == f"/v1/assessments/{assessment_id}"
        assert drawn["status"] == "drawn" and drawn["population"] == 24
        allocation = [
            (s["village_code"], s["population"], s["allocated"]) for s in drawn["allocation"]
        ]
        assert allocation == [
            (f"{COUNTY}100201", 12, 6),
            (f"{COUNTY}100202", 8, 4),
            (f"{COUNTY}100203", 4, 2),
        ]
        sample = {h["household_id"]: h for h in drawn["households"]}
        assert len(sample) == 12 and set(sample) <= set(sizes)
        assert Counter(h["village_code"] for h in sample.values()) == {
            f"{COUNTY}100201": 6,
            f"{COUNTY}100202": 4,
            f"{COUNTY}100203": 2,
        }
        assert all(
            (h["status"] == "exited") == (h["household_id"] in exited_ids) for h in sample.values()
        )

        retry = await client.post("/v1/assessments", json=order, headers={"Idempotency-Key": "d1"})
        assert retry.json() == drawn and retry.headers["idempotent-replayed"] == "true"
        twin = (await client.post("/v1/assessments", json=order)).json()
        assert twin["assessment_id"] != assessment_id
        assert [h["household_id"] for h in twin["households"]] == list(sample)  # same seed
        other = (await client.post("/v1/assessments", json=order | {"seed": 7})).json()
        assert [h["household_id"] for h in other["households"]] != list(sample)

        too_big = await client.post("/v1/assessments", json=order | {"sample_size": 25})
        assert too_big.status_code == 422
        assert too_big.json()["type"].endswith("/rule-violation")
        empty = await client.post("/v1/assessments", json=order | {"county_code": "620523"})
        assert empty.status_code == 422 and "empty" in empty.json()["detail"]

        # -- findings, with the refusals --
        base = f"/v1/assessments/{assessment_id}"
        stranger = next(h for h in sizes if h not in sample)
        refused = await client.post(
            f"{base}/findings", json={"household_id": stranger, "people": 2}
        )
        assert refused.status_code == 422 and "not in the sample" in refused.json()["detail"]
        missing = await client.post(
            f"/v1/assessments/{uuid4()}/findings", json={"household_id": stranger, "people": 2}
        )
        assert missing.status_code == 404
        early = await client.post(f"{base}/publication")
        assert early.status_code == 409 and early.json()["outstanding"] == "12"

        sampled_exited = [h for h in sample if h in exited_ids]
        wrongly = set(sampled_exited[:1])
        answers = [True, True, False, None] * 3
        for (household_id, unit), approves in zip(sample.items(), answers, strict=True):
            finding = {"household_id": household_id, "people": unit["people"], "approves": approves}
            if household_id in exited_ids:
                finding["wrongly_exited"] = household_id in wrongly
            answer = await client.post(
                f"{base}/findings", json=finding, headers={"Idempotency-Key": f"f-{household_id}"}
            )
            assert answer.status_code == 201, answer.text
        again = await client.post(
            f"{base}/findings", json=finding, headers={"Idempotency-Key": f"f-{household_id}"}
        )
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        duplicate = await client.post(f"{base}/findings", json=finding)
        assert duplicate.status_code == 409 and duplicate.json()["household_id"] == household_id
        survey = await client.post(
            f"{base}/survey", json={"people_surveyed": 600, "missed_poor_people": 4}
        )
        assert survey.status_code == 201 and survey.json()["survey"]["people_surveyed"] == 600
        assert (
            await client.post(
                f"{base}/survey", json={"people_surveyed": 5, "missed_poor_people": 6}
            )
        ).status_code == 422

        # -- publication: the 2017 formulas --
        unpublished = datetime.now(UTC).isoformat()
        stale = await client.post(f"{base}/publication", headers={"If-Match": '"3"'})
        assert stale.status_code == 409
        published = await client.post(f"{base}/publication", headers={"Idempotency-Key": "p1"})
        assert published.status_code == 200, published.text
        rates = published.json()
        exited_people = sum(sizes[h] for h in sampled_exited)
        wrong_people = sum(sizes[h] for h in wrongly)
        assert rates["wrong_exit_rate"] == {
            "value": str(rate(wrong_people, exited_people)),
            "numerator": wrong_people,
            "denominator": exited_people,
            "undefined": exited_people == 0,
        }
        assert rates["missed_identification_rate"] == {
            "value": "0.0067",
            "numerator": 4,
            "denominator": 600,
            "undefined": False,
        }
        assert rates["approval_rate"] == {
            "value": "0.6667",
            "numerator": 6,
            "denominator": 9,
            "undefined": False,
        }
        assert rates["status"] == "published" and rates["version"] == 15

        late = await client.post(
            f"{base}/survey", json={"people_surveyed": 5, "missed_poor_people": 0}
        )
        assert late.status_code == 409 and late.json()["type"].endswith("/invalid-transition")

        # -- the public results and the assessment itself --
        listed = await client.get("/v1/assessments", params={"county": COUNTY, "year": 2017})
        assert [item["assessment_id"] for item in listed.json()["items"]] == [assessment_id]
        assert listed.json()["items"][0] == rates
        assert (await client.get("/v1/assessments", params={"year": 2016})).json()["items"] == []
        whole = (await client.get(base)).json()
        assert whole["status"] == "published" and whole["outstanding"] == 0
        assert whole["results"] == {k: rates[k] for k in whole["results"]}
        assert (await client.get(f"/v1/assessments/{uuid4()}")).status_code == 404
        then = (await client.get(base, params={"known_at": unpublished})).json()
        assert then["status"] != "published" and then["version"] == 14
        assert (await client.get(base, params={"known_at": "2017-01-01"})).status_code == 422
        history = (await client.get(f"{base}/history")).json()["events"]
        assert len(history) == 15 and history[-1]["type"] == "evaluation.assessment.published.v1"

        # -- announced on the evaluation topic through the outbox --
        records = await read_topic(kafka_settings, Topic.EVALUATION, 15 + 2)
        announced = [Envelope.from_json(r.value) for r in records]
        final = [e for e in announced if e.type == "evaluation.assessment.published.v1"]
        assert len(final) == 1 and final[0].subject == assessment_id
        assert final[0].data == {
            "assessment_id": assessment_id,
            "county_code": COUNTY,
            "year": 2017,
            "wrong_exit_rate": rates["wrong_exit_rate"]["value"],
            "missed_identification_rate": "0.0067",
            "approval_rate": "0.6667",
            "wrongly_exited_people": rates["wrong_exit_rate"]["numerator"],
            "sampled_exited_people": rates["wrong_exit_rate"]["denominator"],
            "missed_poor_people": 4,
            "non_registered_surveyed": 600,
            "approving_households": 6,
            "answering_households": 9,
        }
        draws = [e for e in announced if e.type == "evaluation.assessment.sample_drawn.v1"]
        mine = next(e for e in draws if e.subject == assessment_id)
        assert [h["household_id"] for h in mine.data["households"]] == list(sample)
        assert mine.data["seed"] == 20171101
        assert {h["status"] for h in mine.data["households"]} <= {"identified", "exited"}
        keys = {r.key for r in records if Envelope.from_json(r.value).subject == assessment_id}
        assert keys == {assessment_id.encode()}
