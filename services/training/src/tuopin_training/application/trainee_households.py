"""Local read model of registered households and their members (培训对象), from the
registry's events: who may enrol, and the households the 2020 goal counts.

Training never asks the registry. A person is found by the keyed hash of their resident
ID number, the same hash the registry publishes. A person who moves between households
appears in the new one possibly before leaving the old (their events are on different
partitions); the membership with the latest effective date wins. Of each person only what
the rules need is kept: birth year and month (ages count from the 1st of the month; the
registry publishes no birth day, nor a masked number) and labour ability. A person the
registry erases is forgotten here too.
"""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import born
from tuopin_contracts.events import registry as reg
from tuopin_eventkit.db import upsert
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_training.domain.enrolment import Trainee

metadata = MetaData()

trainee_households = Table(
    "trainee_households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("file_number", String(40), nullable=False),
    Column("county_code", String(6), nullable=False),
    Column("village_code", String(12), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    # When it counts for the 2020 goal by business date, and when training learnt so.
    Column("identified_on", Date),
    Column("identified_at", DateTime(timezone=True)),
    Column("removed_on", Date),  # removed as wrongly identified (清退)
    Column("removed_at", DateTime(timezone=True)),
)

trainee_members = Table(
    "trainee_members",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("household_id", String(36), nullable=False, index=True),
    Column("id_number_hash", String(128), index=True),
    Column("birth_year", Integer),
    Column("birth_month", Integer),
    Column("labour_ability", String(20)),
    Column("member_since", Date, nullable=False),
)

projection = Projection("training.trainee_households", tables=[trainee_households, trainee_members])


def _member(household_id: object, member: reg.SealedMember, since: date) -> dict[str, object]:
    return {
        "person_id": str(member.person_id),
        "household_id": str(household_id),
        "id_number_hash": member.id_number_hash,
        "birth_year": member.birth_year,
        "birth_month": member.birth_month,
        "labour_ability": member.labour_ability,
        "member_since": since,
    }


@projection.on(reg.HouseholdRegisteredV3)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    households = [
        {
            "household_id": str(e.data.household_id),
            "file_number": e.data.file_number,
            "county_code": e.data.county_code,
            "village_code": e.data.village_code,
            "status": "identified",
            "identified_on": e.data.effective_date,
            "identified_at": e.envelope.time,
        }
        for e in events
    ]
    await upsert(conn, trainee_households, households, keys=["household_id"])
    members = [
        _member(e.data.household_id, m, e.data.effective_date)
        for e in events
        for m in e.data.members
    ]
    await upsert(conn, trainee_members, members, keys=["person_id"])


@projection.on(reg.MemberAddedV2)
async def member_added(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [_member(e.data.household_id, e.data.member, e.data.effective_date) for e in events]
    await upsert(conn, trainee_members, rows, keys=["person_id"])


@projection.on(reg.MemberRemovedV1)
async def member_removed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    gone = [str(e.data.person_id) for e in events]
    await conn.execute(delete(trainee_members).where(trainee_members.c.person_id.in_(gone)))


# Erased by the registry: nothing of the person stays here.
projection.on(reg.PersonErasedV1)(member_removed)


@projection.on(reg.IdentityCorrectedV1)
async def identity_corrected(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    """A wrong ID number corrected: the trainee is matched on the right one from now on."""
    await conn.execute(
        update(trainee_members)
        .where(trainee_members.c.person_id == bindparam("person"))
        .values(
            id_number_hash=bindparam("hash"),
            birth_year=bindparam("year"),
            birth_month=bindparam("month"),
        ),
        [
            {
                "person": str(e.data.person_id),
                "hash": e.data.id_number_hash,
                "year": e.data.birth_year,
                "month": e.data.birth_month,
            }
            for e in events
        ],
    )


@projection.on(reg.MemberUpdatedV2)
async def member_updated(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {"person": str(e.data.person_id), "ability": e.data.labour_ability}
        for e in events
        if e.data.labour_ability is not None
    ]
    if rows:  # one statement run for the batch, in event order
        await conn.execute(
            update(trainee_members)
            .where(trainee_members.c.person_id == bindparam("person"))
            .values(labour_ability=bindparam("ability")),
            rows,
        )


async def _status_changed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await conn.execute(
        update(trainee_households)
        .where(trainee_households.c.household_id == bindparam("household"))
        .values(status=bindparam("new_status")),
        [{"household": str(e.data.household_id), "new_status": e.data.status} for e in events],
    )


for _lifecycle in reg.STATUS_CHANGES:
    if _lifecycle is not reg.HouseholdRemovedV1:  # removal ends membership too, below
        projection.on(_lifecycle)(_status_changed)


@projection.on(reg.HouseholdRemovedV1)
async def removed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _status_changed(conn, events)
    await conn.execute(
        update(trainee_households)
        .where(trainee_households.c.household_id == bindparam("household"))
        .values(removed_on=bindparam("on"), removed_at=bindparam("at")),
        [
            {
                "household": str(e.data.household_id),
                "on": e.data.effective_date,
                "at": e.envelope.time,
            }
            for e in events
        ],
    )


async def household(conn: AsyncConnection, household_id: str) -> dict[str, object] | None:
    row = (
        await conn.execute(
            select(trainee_households).where(trainee_households.c.household_id == household_id)
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def trainee(conn: AsyncConnection, id_number_hash: str, masked: str) -> Trainee | None:
    """The person with this identity hash, in their latest household; None if unknown.
    ``masked`` is their number masked, from the number the centre sent."""
    m, h = trainee_members, trainee_households
    row = (
        await conn.execute(
            select(m, h.c.village_code, h.c.status)
            .join(h, h.c.household_id == m.c.household_id)
            .where(m.c.id_number_hash == id_number_hash)
            .order_by(m.c.member_since.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Trainee(
        household_id=row.household_id,
        village_code=row.village_code,
        id_number_hash=id_number_hash,
        id_number_masked=masked,
        birth_date=born(row.birth_year, row.birth_month),
        household_status=row.status,
    )
