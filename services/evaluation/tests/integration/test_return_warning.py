"""返贫预警: an exited household whose income falls to the line, or that records a new
illness, raises a warning on evaluation's topic — once, whatever is redelivered."""

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import (
    CausesRecordedV1,
    HouseholdExitedV1,
    IncomeRecordedV1,
)
from tuopin_contracts.examples import household_registered
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, eventually, publish


def fact(data, household: Envelope, sequence: int) -> Envelope:
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=household.subject,
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        sequence=sequence,
    )


def income(household: Envelope, per_head_yuan: int, sequence: int) -> Envelope:
    per_head = per_head_yuan * 100
    data = IncomeRecordedV1(
        household_id=UUID(household.subject),
        effective_date=date(2018, 12, 31),
        year=2018,
        wages=per_head * 3,
        production_and_business=0,
        property=0,
        transfers=0,
        members=3,
        per_head=per_head,
    )
    return fact(data, household, sequence)


async def test_exited_households_fallen_back_raise_one_warning_each(
    database_url, kafka_settings
) -> None:
    fallen, thriving, still_poor = (household_registered(size=3) for _ in range(3))
    exits = [
        fact(
            HouseholdExitedV1(
                household_id=UUID(h.subject),
                effective_date=date(2017, 12, 1),
                status="exited",
                verification_id=uuid4(),
            ),
            h,
            2,
        )
        for h in (fallen, thriving)
    ]
    ill = fact(
        CausesRecordedV1(
            household_id=UUID(thriving.subject),
            effective_date=date(2018, 3, 1),
            primary_cause="illness",
        ),
        thriving,
        4,
    )
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
