"""A household's exit verdict can be recomputed any time: under the rules in force on a
day, for an income year, or under another rule set (what-if)."""

from datetime import date
from uuid import UUID, uuid4

from tuopin_contracts import Topic
from tuopin_contracts.examples import conditions_assessed, household_registered, wage_income
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish


async def test_recomputed_verdicts(database_url, kafka_settings) -> None:
    home = household_registered(size=2)  # members not medically insured in the example
    hid = UUID(home.subject)
    income = wage_income(hid, 2017, 350_000, 2)
    safe = conditions_assessed(hid, date(2017, 9, 1))
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings, Topic.REGISTRY, home, envelope(income, hid, 2), envelope(safe, hid, 3)
    )

    async with client_for(
        app(EvaluationSettings(database_url=database_url, kafka=kafka_settings))
    ) as client:
        url = f"/v1/households/{hid}/exit-verdict"

        async def known() -> dict:
            answer = await client.get(url, params={"as_of": "2017-10-02", "year": 2017})
            assert answer.status_code == 200, answer.text
            return answer.json()

        verdict = await eventually(known)
        assert verdict["rule_set"] == "gansu-2016" and verdict["passed"] is False
        failed = {c["name"]: c["value"] for c in verdict["criteria"] if not c["passed"]}
        assert failed == {"medical_insurance": "0 of 2 members insured"}
        income_2017 = next(c for c in verdict["criteria"] if c["name"] == "income_per_head")
        assert income_2017["value"] == "3500.00" and income_2017["passed"]  # 2017 line: 3,335

        later_line = await client.get(url, params={"as_of": "2018-10-02", "year": 2018})
        assert "income_per_head" in [
            c["name"] for c in later_line.json()["criteria"] if not c["passed"]
        ]  # no 2018 income recorded
        what_if = await client.get(
            url,
            params={"as_of": "2017-10-02", "year": 2017, "rules": "national-2016-central-eastern"},
        )
        assert what_if.json()["rule_set"] == "national-2016-central-eastern"
        too_early = await client.get(url, params={"as_of": "2015-06-01"})
        assert too_early.status_code == 422
        assert (await client.get(f"/v1/households/{uuid4()}/exit-verdict")).status_code == 404
