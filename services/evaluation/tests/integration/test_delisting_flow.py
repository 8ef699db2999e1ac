"""A county's delisting standing end to end: the registry's events through the real broker,
a third-party assessment over HTTP, then the four tests — and the recorded standing goes
out on ``tuopin.evaluation.events``."""

from datetime import date
from uuid import UUID

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import VillageRegisteredV1
from tuopin_contracts.examples import exited, household_registered
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish, read_topic

COUNTY = "621121"
VILLAGE = COUNTY + "100201"


def village(population: int) -> Envelope:
    data = VillageRegisteredV1(
        village_code=VILLAGE,
        effective_date=date(2016, 1, 1),
        name="李家村",
        poor=True,
        rural_population=population,
    )
    return envelope(data, VILLAGE, 1)


def exited_2018(household: Envelope) -> Envelope:
    return envelope(exited(UUID(household.subject), date(2018, 12, 1)), household.subject, 2)


async def test_delisting_needs_low_incidence_and_a_good_assessment(
    database_url, kafka_settings
) -> None:
    homes = [household_registered(COUNTY, size=3) for _ in range(10)]
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    # 10 households of 3; 9 exit: 3 poor people left in a rural population of 200 → 1.5 %.
    await publish(
        kafka_settings, Topic.REGISTRY, village(200), *homes, *map(exited_2018, homes[:9])
    )

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def counted() -> dict:
            # Partitions interleave: wait for every household, not just the right incidence.
            assert (await client.get("/v1/stats")).json()["total_households"] == len(homes)
            standing = (
                await client.get(f"/v1/counties/{COUNTY}/delisting", params={"as_of": "2019-06-30"})
            ).json()
            assert standing["criteria"][0]["value"] == "0.0150"
            return standing

        before = await eventually(counted)
        failed = [c["name"] for c in before["criteria"] if not c["passed"]]
        assert failed == ["wrong_exit_rate", "missed_identification_rate", "approval_rate"]
        assert before["eligible"] is False and before["rule_set"] == "gansu-2016"

        order = {
            "county_code": COUNTY,
            "year": 2019,
            "assessor": "兰州大学",
            "sample_size": 10,
            "seed": 1,
        }
        answer = await client.post("/v1/assessments", json=order)
        assert answer.status_code == 201, answer.text
        drawn = answer.json()
        base = f"/v1/assessments/{drawn['assessment_id']}"
        for h in drawn["households"]:
            finding = {"household_id": h["household_id"], "people": 3, "approves": True}
            if h["status"] == "exited":
                finding["wrongly_exited"] = False
            assert (await client.post(f"{base}/findings", json=finding)).status_code == 201
        await client.post(f"{base}/survey", json={"people_surveyed": 500, "missed_poor_people": 5})
        assert (await client.post(f"{base}/publication")).status_code == 200

        after = (
            await client.get(f"/v1/counties/{COUNTY}/delisting", params={"as_of": "2019-06-30"})
        ).json()
        assert after["eligible"] is True, after
        assert [c["value"] for c in after["criteria"]] == [
            "0.0150",
            "0.0000 (0/27)",
            "0.0100 (5/500)",
            "1.0000 (10/10)",
        ]
        stricter = (
            await client.get(
                f"/v1/counties/{COUNTY}/delisting",
                params={"as_of": "2019-06-30", "rules": "national-2016-central-eastern"},
            )
        ).json()
        assert stricter["rule_set"] == "national-2016-central-eastern"

        recorded = await client.post(
            f"/v1/counties/{COUNTY}/delisting", params={"as_of": "2019-06-30"}
        )
        assert recorded.status_code == 201 and recorded.json()["eligible"] is True
        unknown = await client.get(f"/v1/counties/{COUNTY}/delisting", params={"rules": "nope"})
        assert unknown.status_code == 422

        events = await read_topic(
            kafka_settings, Topic.EVALUATION, (await client.get("/v1/events")).json()["head"]
        )
        published = [Envelope.from_json(r.value) for r in events]
        standing = [e for e in published if e.type == "evaluation.county.status_assessed.v1"]
        assert len(standing) == 1 and standing[0].data["eligible"] is True
        assert standing[0].subject == f"county-{COUNTY}"

        progress = (await client.get("/v1/targets")).json()["targets"]
        by_name = {t["name"]: t for t in progress}
        # Filed in April 2016 (30 people), nine households exited in December 2018.
        assert by_name["poor_people_reduction"]["value"] == {"2015": 0, "2016": -30, "2017": 0}
        assert by_name["poor_people_reduction"]["met"] is False
        assert by_name["beneficiary_income_2017"]["met"] is None
        assert by_name["mutual_aid_fund_2016"]["value"] == {"poor_villages": 1, "with_fund": 0}
        # No training centre has certified anyone: measured, none of the ten covered.
        certified = by_name["certified_member_2020"]
        assert certified["value"] == {
            "as_of": "2020-12-31",
            "registered_households": 10,
            "with_certified_member": 0,
            "coverage": "0.0000",
        }
        assert certified["met"] is False
        assert by_name["counties_delisted_2020"]["value"] == {"counties": 1, "eligible": 1}
        assert by_name["counties_delisted_2020"]["met"] is True
