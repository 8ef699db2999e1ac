"""返贫预警: an exited household whose income falls to the line, or that records a new
illness, raises a warning on evaluation's topic — once, whatever is redelivered."""

from datetime import date
from uuid import UUID

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import (
    CausesRecordedV1,
    ReturnedToPovertyV1,
)
from tuopin_contracts.examples import exited, household_registered, wage_income
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.testing import as_, client_for, envelope, eventually, publish


def income(household: Envelope, per_head_yuan: int, sequence: int) -> Envelope:
    data = wage_income(UUID(household.subject), 2018, per_head_yuan * 100, 3)
    return envelope(data, household.subject, sequence)


def exited_2017(household: Envelope) -> Envelope:
    return envelope(exited(UUID(household.subject), date(2017, 12, 1)), household.subject, 2)


def fell_ill(household: Envelope, sequence: int) -> Envelope:
    """A new cause recorded on 1 March 2018: illness."""
    data = CausesRecordedV1(
        household_id=UUID(household.subject),
        effective_date=date(2018, 3, 1),
        primary_cause="illness",
    )
    return envelope(data, household.subject, sequence)


async def test_exited_households_fallen_back_raise_one_warning_each(
    database_url, kafka_settings
) -> None:
    fallen, thriving, still_poor = (household_registered(size=3) for _ in range(3))
    exits = [exited_2017(h) for h in (fallen, thriving)]
    ill = fell_ill(thriving, 4)
    dropped = income(fallen, 3_535, 3)  # 2018's line is 3,535 yuan: at the line is not above it
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        fallen,
        thriving,
        still_poor,
        *exits,
        dropped,
        income(thriving, 5_000, 3),
        ill,
        income(still_poor, 1_000, 2),
        dropped,
    )  # the drop redelivered

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def warned() -> list[dict]:
            feed = (await client.get("/v1/events")).json()["items"]
            warnings = [
                i["event"]["data"]
                for i in feed
                if i["event"]["type"] == "evaluation.household.return_warning_raised.v1"
            ]
            assert len(warnings) == 2
            return warnings

        warnings = {w["household_id"]: w for w in await eventually(warned)}
        assert warnings[fallen.subject]["reasons"] == [
            "income per head 3535.00 yuan in 2018 at or below the line"
        ]
        assert warnings[thriving.subject]["reasons"] == ["new cause: illness"]
        assert still_poor.subject not in warnings  # not exited: not a return


async def test_counties_work_their_return_warnings_to_closure(database_url, kafka_settings) -> None:
    """Seed 二.1 规范建档立卡 "将返贫人口及时列为扶贫对象,做到有进有出、动态管理" and 五.11
    融合双联行动 (a named cadre answers for the household): a county lists its open
    warnings, a cadre takes one up with measures, another is closed as resolved, and the
    registry's re-listing (返贫) closes the rest as returned — each step on its business
    date, so the list and the roll-ups' counts answer as of a day and as known then."""
    fallen, ill, far = (
        household_registered("621121"),
        household_registered("621121"),
        household_registered("620121"),
    )
    sick = fell_ill(ill, 3)
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        fallen,
        ill,
        far,
        *(exited_2017(h) for h in (fallen, ill, far)),
        income(fallen, 3_000, 3),
        sick,
        income(far, 3_000, 3),
    )
    service = app(EvaluationSettings(database_url=database_url, kafka=kafka_settings))
    async with client_for(service) as client:
        officer = as_(service, Role.COUNTY_OFFICER, region="621121")

        async def listed() -> dict[str, dict]:
            answer = await client.get("/v1/return-warnings", params={"region": "621121"})
            items = answer.json()["items"]
            assert len(items) == 2, items
            return {i["household_id"]: i for i in items}

        mine = await eventually(listed)
        assert {(w["status"], w["since"], w["county_code"]) for w in mine.values()} == {
            ("open", "2018-12-31", "621121"),
            ("open", "2018-03-01", "621121"),
        }
        assert mine[ill.subject]["reasons"] == ["new cause: illness"]
        first, second = mine[fallen.subject]["warning_id"], mine[ill.subject]["warning_id"]

        async def listed_elsewhere() -> dict:
            # Another county's household: on a partition of its own, perhaps not yet read.
            everywhere = (await client.get("/v1/return-warnings")).json()["items"]
            found = [w for w in everywhere if w["household_id"] == far.subject]
            assert found, everywhere
            return found[0]

        elsewhere = await eventually(listed_elsewhere)

        # A county officer works only its own county's warnings.
        assert (
            await client.get("/v1/return-warnings", params={"region": "620121"}, headers=officer)
        ).status_code == 403
        ack = {
            "acknowledged_on": "2019-01-05",
            "cadre_name": "王明",
            "cadre_unit": "县扶贫办",
            "measures": ["申请临时救助", "安排公益岗位"],
        }
        outside = f"/v1/return-warnings/{elsewhere['warning_id']}/acknowledgement"
        assert (await client.post(outside, json=ack, headers=officer)).status_code == 403

        # Acknowledged once; a retry with the same key gets the first answer.
        path = f"/v1/return-warnings/{first}/acknowledgement"
        keyed = {**officer, "Idempotency-Key": "ack-1"}
        taken = await client.post(path, json=ack, headers=keyed)
        assert taken.status_code == 200, taken.text
        assert taken.json()["status"] == "acknowledged"
        assert taken.json()["acknowledgement"]["measures"] == ack["measures"]
        assert (await client.post(path, json=ack, headers=keyed)).json() == taken.json()
        again = await client.post(path, json=ack, headers=officer)
        assert again.status_code == 409, again.text
        no_measures = await client.post(path, json={**ack, "measures": []}, headers=officer)
        assert no_measures.status_code == 422

        closure = f"/v1/return-warnings/{second}/closure"
        assert (
            await client.post(
                closure, json={"closed_on": "2018-06-01", "reason": ""}, headers=officer
            )
        ).status_code == 422
        before = (await client.get("/v1/events")).json()["head"]
        resolved = await client.post(
            closure,
            json={"closed_on": "2018-06-01", "reason": "医保报销后收入稳定"},
            headers={**officer, "Idempotency-Key": "close-1"},
        )
        assert resolved.status_code == 200, resolved.text
        assert resolved.json()["closure"] == {
            "closed_on": "2018-06-01",
            "outcome": "resolved",
            "reason": "医保报销后收入稳定",
        }
        early = {"closed_on": "2018-02-01", "reason": "before the raise"}
        assert (
            await client.post(f"/v1/return-warnings/{first}/closure", json=early)
        ).status_code == 422

        # The registry lists the fallen household again: its warning closes as returned.
        returned = ReturnedToPovertyV1(
            household_id=UUID(fallen.subject),
            effective_date=date(2019, 3, 1),
            status="returned",
            cause="illness",
        )
        await publish(kafka_settings, Topic.REGISTRY, envelope(returned, fallen.subject, 4))

        async def closed() -> dict:
            answer = await client.get(
                "/v1/return-warnings", params={"region": "621121", "status": "closed"}
            )
            items = {i["warning_id"]: i for i in answer.json()["items"]}
            assert set(items) == {first, second}
            return items[first]

        assert (await eventually(closed))["closure"] == {
            "closed_on": "2019-03-01",
            "outcome": "returned",
            "reason": "returned to poverty: illness",
        }

        async def statuses(**params: str) -> dict[str, str]:
            answer = await client.get(
                "/v1/return-warnings", params={"region": "621121", **params}, headers=officer
            )
            return {i["warning_id"]: i["status"] for i in answer.json()["items"]}

        async def open_in_county(**params: str) -> int:
            rows = (await client.get("/v1/rollups", params={"region": "621121", **params})).json()
            return rows["rows"][0]["open_return_warnings"]

        assert await statuses(as_of="2018-12-31") == {first: "open", second: "closed"}
        assert await statuses(as_of="2019-02-01") == {first: "acknowledged", second: "closed"}
        assert await statuses(as_of="2018-03-01") == {second: "open"}
        assert await open_in_county(as_of="2018-03-01") == 1
        assert await open_in_county(as_of="2019-02-01") == 1
        assert await open_in_county(as_of="2019-03-01") == 0
        # As known before the closure was recorded, the resolved warning was still open.
        known = (await client.get("/v1/events")).json()["items"]
        at = next(i["event"]["time"] for i in known if i["position"] == before)
        assert await statuses(as_of="2018-12-31", known_at=at) == {first: "open", second: "open"}
        assert await open_in_county(as_of="2018-12-31", known_at=at) == 2
