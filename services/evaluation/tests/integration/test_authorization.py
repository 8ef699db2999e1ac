"""Evaluation's authorization matrix: every route × role × inside/outside its scope, and
no token — over HTTP, with a household and a drawn assessment to be in or out of."""

from datetime import date
from uuid import UUID

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.examples import exited, household_registered, wage_income
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app, spec
from tuopin_eventkit.matrix import Matrix, Scope
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.testing import as_, client_for, envelope, eventually, publish

COUNTY = "621121"
FAR = "620121"  # a county of another city
VILLAGE = COUNTY + "100201"  # the examples' village

# Routes whose region is the county, not a village: no township officer or cadre is inside.
COUNTY_WIDE = [
    "GET /v1/rollups",
    "GET /v1/rollups.csv",
    "GET /v1/rollups/belts",
    "GET /v1/income-distribution",
    "GET /v1/targets",
    "GET /v1/counties/{county}/delisting",
    "GET /v1/counties/{county}/signals",
    "POST /v1/assessments",
    "GET /v1/assessments/{assessment_id}",
    "GET /v1/assessments/{assessment_id}/history",
    "POST /v1/assessments/{assessment_id}/findings",
    "POST /v1/assessments/{assessment_id}/survey",
    "GET /v1/return-warnings",
]


def fallen_back(household: Envelope) -> list[Envelope]:
    """The household exited in 2017 and earned at most the line in 2018: a return warning."""
    household_id = UUID(household.subject)
    facts = [
        exited(household_id, date(2017, 12, 1)),
        wage_income(household_id, 2018, 100_000, 3),
    ]
    return [envelope(f, household_id, n) for n, f in enumerate(facts, start=2)]


async def test_every_route_answers_each_role_inside_and_outside_its_scope(
    database_url, kafka_settings
) -> None:
    homes = [household_registered(COUNTY) for _ in range(3)]
    far = household_registered(FAR)  # another city: outside every scoped caller
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(
        kafka_settings, Topic.REGISTRY, *homes, far, *fallen_back(homes[0]), *fallen_back(far)
    )
    # The walk asks each public route (dashboard, sign-in, notices) several times within a
    # minute: above the public rate limit, which test_hardening checks on its own.
    settings = EvaluationSettings(
        database_url=database_url,
        kafka=kafka_settings,
        log_level="WARNING",
        public_rate_limit="100000/minute",
    )
    service = app(settings)
    async with client_for(service) as client:

        async def arrived() -> dict[str, str]:
            stats = (await client.get("/v1/stats")).json()
            assert stats["total_households"] == len(homes) + 1
            listed = (await client.get("/v1/return-warnings")).json()["items"]
            assert len(listed) == 2
            return {w["household_id"]: w["warning_id"] for w in listed}

        warnings = await eventually(arrived)
        # The evaluator assigned to the county draws the sample (and is recorded doing so).
        order = {
            "county_code": COUNTY,
            "year": 2019,
            "assessor": "兰州大学",
            "sample_size": 1,
            "seed": 7,
        }
        evaluator = as_(service, Role.EVALUATOR, counties=[COUNTY])
        drawn = await client.post("/v1/assessments", json=order, headers=evaluator)
        assert drawn.status_code == 201, drawn.text
        path = {
            "household_id": homes[0].subject,
            "village_code": VILLAGE,
            "county": COUNTY,
            "assessment_id": drawn.json()["assessment_id"],
            "name": "dashboard.js",
            "warning_id": warnings[homes[0].subject],
        }
        bodies = {"POST /v1/assessments": {"county_code": COUNTY}}
        auth, scope = service.state.runtime.settings.auth, Scope(village=VILLAGE, orgs={})
        digits = dict.fromkeys(COUNTY_WIDE, 6)
        matrix = Matrix(client, auth, spec.access, scope, path, {"region": COUNTY}, digits)
        calls = await matrix.walk(bodies)
        assert calls == len(spec.access) * (1 + 2 * len(Role))
        # Valid bodies now, aimed outside the caller (or with a parameter the route does
        # not declare): only the scope stands between them and the handler.
        there = await client.post("/v1/assessments", json={**order, "county_code": FAR})
        assert there.status_code == 201, there.text
        head = (await client.get("/v1/events")).json()["head"]
        finding = {"household_id": homes[0].subject, "people": 1, "approves": True}
        valid = {
            "POST /v1/assessments": order,
            "POST /v1/assessments/{assessment_id}/findings": finding,
            "POST /v1/assessments/{assessment_id}/survey": {
                "people_surveyed": 10,
                "missed_poor_people": 0,
            },
            "POST /v1/return-warnings/{warning_id}/acknowledgement": {
                "acknowledged_on": "2019-01-05",
                "cadre_name": "王明",
                "cadre_unit": "县扶贫办",
                "measures": ["临时救助"],
            },
            "POST /v1/return-warnings/{warning_id}/closure": {
                "closed_on": "2019-01-05",
                "reason": "收入回升",
            },
        }
        elsewhere = {
            "household_id": far.subject,
            "assessment_id": there.json()["assessment_id"],
            "warning_id": warnings[far.subject],
        }
        await matrix.disagree(valid, elsewhere)
        assert (await client.get("/v1/events")).json()["head"] == head  # nothing written


async def test_an_evaluator_naming_its_county_in_the_query_never_draws_elsewhere(
    database_url, kafka_settings
) -> None:
    """Issue 12, evaluation's attack: the check read ?county_code= (the evaluator's own)
    and the handler drew a sample in the body's county, outside its assignment (201)."""
    homes = [household_registered(COUNTY), household_registered("621122")]
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(kafka_settings, Topic.REGISTRY, *homes)
    service = app(
        EvaluationSettings(database_url=database_url, kafka=kafka_settings, log_level="WARNING")
    )
    async with client_for(service) as client:

        async def arrived() -> None:
            assert (await client.get("/v1/stats")).json()["total_households"] == len(homes)

        await eventually(arrived)
        evaluator = as_(service, Role.EVALUATOR, counties=[COUNTY])
        order = {
            "county_code": "621122",
            "year": 2019,
            "assessor": "兰州大学",
            "sample_size": 1,
            "seed": 7,
        }
        head = (await client.get("/v1/events")).json()["head"]
        attack = await client.post(
            "/v1/assessments", params={"county_code": COUNTY}, json=order, headers=evaluator
        )
        assert attack.status_code == 422, attack.text
        assert attack.json()["errors"][0]["loc"] == ["query", "county_code"]
        refused = await client.post("/v1/assessments", json=order, headers=evaluator)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "an evaluator of 621121 may not POST /v1/assessments for region 621122"
        )
        assert (await client.get("/v1/events")).json()["head"] == head  # nothing drawn
        mine = {**order, "county_code": COUNTY}
        assert (
            await client.post("/v1/assessments", json=mine, headers=evaluator)
        ).status_code == 201
