"""Only a topic's owner speaks on it: through the real broker, an event on the registry's
topic that claims another source, or whose type another service publishes, is dead-lettered
with the reason by every consumer and projected by none (loans and training here)."""

from datetime import date
from pathlib import Path
from uuid import uuid4

from sqlalchemy import func, select

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.loans import LoanRejectedV1
from tuopin_contracts.examples import household_registered
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.messaging.consumer import ProjectionConsumer
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import envelope, publish, read_topic
from tuopin_loans.entrypoints.app import spec as loans
from tuopin_training.entrypoints.app import spec as training


def loan_rejected_on_the_registry_topic() -> Envelope:
    """A genuine-looking loans event, with the registry's source, where it does not belong."""
    household = uuid4()
    data = LoanRejectedV1(
        loan_id=uuid4(),
        bank_id="gansu-rcc",
        household_id=household,
        county_code="621121",
        product=LoanProduct.MICROCREDIT,
        loan_ref="RCC-1",
        reason="forged",
        decided_on=date(2016, 5, 1),
    )
    return envelope(data, household, 1)


async def test_forged_events_on_the_registry_topic_are_dead_lettered_not_projected(
    kafka_settings, tmp_path: Path
) -> None:
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    genuine = household_registered()
    forged_source = household_registered().model_copy(update={"source": "/tuopin/loans"})
    wrong_type = loan_rejected_on_the_registry_topic()
    await publish(kafka_settings, Topic.REGISTRY, forged_source, genuine, wrong_type)

    consumers = []
    read_models = ((loans, "loans.borrower_households"), (training, "training.trainee_households"))
    for spec, name in read_models:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / spec.name}.db")
        await migrate.upgrade(engine, spec.migrations)
        projection = spec.projection(name)
        assert await ProjectionConsumer(engine, projection, kafka_settings).catch_up() == 1
        consumers.append(projection.name)
        async with engine.connect() as conn:
            for table in projection.tables:
                column = table.c.household_id
                for forged in (forged_source, wrong_type):
                    found = await conn.scalar(select(func.count()).where(column == forged.subject))
                    assert found == 0, (name, table.name)
            households = projection.tables[0]
            assert await conn.scalar(select(households.c.household_id)) == genuine.subject
        await engine.dispose()

    dead = await read_topic(kafka_settings, Topic.REGISTRY.dlq, 4)
    reasons = {
        (dict(r.headers)["consumer"].decode(), r.value): dict(r.headers)["error"].decode()
        for r in dead
    }
    assert len(reasons) == 4
    for consumer in consumers:
        assert reasons[consumer, forged_source.to_json()] == (
            "source /tuopin/loans is not /tuopin/registry, the owner of tuopin.registry.events"
        )
        assert reasons[consumer, wrong_type.to_json()] == (
            "loans.loan.rejected.v1 belongs on tuopin.loans.events, not on tuopin.registry.events"
        )
