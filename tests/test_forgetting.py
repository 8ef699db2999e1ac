"""Every service forgets a person the registry erases, down to its raw rows: loans and
training drop the member; evaluation keeps an anonymous row for its counts of people by
day, and nothing that describes the person."""

from datetime import UTC, date, datetime
from importlib import import_module
from uuid import uuid4

import pytest
from sqlalchemy import text

from tuopin_contracts import Envelope, EventData
from tuopin_contracts.events import registry as reg
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store.projection import Delivered

HOUSEHOLD, KEPT, ERASED = uuid4(), uuid4(), uuid4()
# service → (read model with the members, the columns that describe a person)
MEMBERS = {
    "loans": ("borrower_members", "id_hash, birth_year, birth_month, schooling"),
    "training": ("trainee_members", "id_number_hash, birth_year, birth_month, labour_ability"),
    "evaluation": ("members", "birth_year, birth_month, schooling, medical_insurance"),
}


def delivered(data: EventData, sequence: int) -> Delivered:
    envelope = Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=str(HOUSEHOLD),
        time=datetime(2017, 3, 1, tzinfo=UTC),
        data=data.model_dump(mode="json"),
        sequence=sequence,
    )
    return Delivered(envelope, data)


def member(pid, relation: str, born: int) -> reg.SealedMember:
    return reg.SealedMember(
        person_id=pid,
        relation=relation,
        id_number_hash=pid.hex * 2,
        birth_year=born,
        birth_month=5,
        schooling="not_in_school",
        labour_ability="full",
        medical_insurance=True,
        sealed="opaque",
    )


@pytest.mark.parametrize("service", sorted(MEMBERS))
async def test_a_service_forgets_an_erased_person(service: str, database_url: str) -> None:
    spec = import_module(f"tuopin_{service}.entrypoints.app").spec
    [projection] = [p for p in spec.projections if reg.PersonErasedV1 in p.handlers]
    filed = reg.HouseholdRegisteredV3(
        household_id=HOUSEHOLD,
        effective_date=date(2016, 4, 1),
        file_number="621121-0001",
        county_code="621121",
        village_code="621121100201",
        poverty_attribute="general",
        primary_cause="illness",
        identified_year=2016,
        members=[member(KEPT, "head", 1980), member(ERASED, "spouse", 1982)],
    )
    erased = reg.PersonErasedV1(
        household_id=HOUSEHOLD,
        effective_date=date(2017, 3, 1),
        reason="申请 2017-0042",
        person_id=ERASED,
    )
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        async with engine.begin() as conn:
            await projection.handlers[reg.HouseholdRegisteredV3](conn, [delivered(filed, 1)])
            await projection.handlers[reg.PersonErasedV1](conn, [delivered(erased, 2)])
        table, personal = MEMBERS[service]
        async with engine.connect() as conn:
            rows = {
                row[0]: tuple(row[1:])
                for row in await conn.execute(text(f"SELECT person_id, {personal} FROM {table}"))
            }
    finally:
        await engine.dispose()
    assert {1980, 5} <= set(rows[str(KEPT)]) and None not in rows[str(KEPT)]  # the others stay
    if service == "evaluation":
        assert rows[str(ERASED)] == (None, None, None, False)  # counted, not described
    else:
        assert str(ERASED) not in rows
