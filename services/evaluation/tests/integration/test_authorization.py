"""Evaluation's authorization matrix: every route × role × inside/outside its scope, and
no token — over HTTP, with a household and a drawn assessment to be in or out of."""

from tuopin_contracts import Topic
from tuopin_contracts.examples import household_registered
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app, spec
from tuopin_eventkit.auth import Role
from tuopin_eventkit.kafka import ensure_topics
from tuopin_eventkit.matrix import Scope, walk
from tuopin_eventkit.testing import as_, client_for, eventually, publish

COUNTY = "621121"
VILLAGE = COUNTY + "100201"  # the examples' village

# Routes whose region is the county, not a village: no township officer or cadre is inside.
COUNTY_WIDE = [
    "GET /v1/rollups", "GET /v1/rollups.csv", "GET /v1/income-distribution", "GET /v1/targets",
    "GET /v1/counties/{county}/delisting", "POST /v1/assessments",
    "GET /v1/assessments/{assessment_id}", "GET /v1/assessments/{assessment_id}/history",
    "POST /v1/assessments/{assessment_id}/findings", "POST /v1/assessments/{assessment_id}/survey",
]  # fmt: skip


async def test_every_route_answers_each_role_inside_and_outside_its_scope(
    database_url, kafka_settings
) -> None:
    homes = [household_registered(COUNTY) for _ in range(3)]
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(kafka_settings, Topic.REGISTRY, *homes)
    service = app(EvaluationSettings(database_url=database_url, kafka=kafka_settings,
                                     log_level="WARNING"))  # fmt: skip
    async with client_for(service) as client:

        async def arrived() -> None:
            stats = (await client.get("/v1/stats")).json()
            assert stats["total_households"] == len(homes)

        await eventually(arrived)
        # The evaluator assigned to the county draws the sample (and is recorded doing so).
        order = {"county_code": COUNTY, "year": 2019, "assessor": "兰州大学", "sample_size": 1,
                 "seed": 7}  # fmt: skip
        evaluator = as_(service, Role.EVALUATOR, counties=[COUNTY])
        drawn = await client.post("/v1/assessments", json=order, headers=evaluator)
        assert drawn.status_code == 201, drawn.text
        path = {
            "household_id": homes[0].subject, "village_code": VILLAGE, "county": COUNTY,
            "assessment_id": drawn.json()["assessment_id"], "name": "dashboard.js",
        }  # fmt: skip
        bodies = {"POST /v1/assessments": {"county_code": COUNTY}}
        calls = await walk(
            client, service.state.runtime.settings.auth, spec.policy,
            Scope(village=VILLAGE, orgs={}), path, query={"region": COUNTY}, bodies=bodies,
            digits=dict.fromkeys(COUNTY_WIDE, 6),
        )  # fmt: skip
        assert calls == len(spec.policy) * (1 + 2 * len(Role))
