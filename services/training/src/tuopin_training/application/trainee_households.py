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

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import born
from tuopin_contracts.events import registry as reg
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.db import by_key
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_eventkit.store.roster import Roster
from tuopin_training.domain.enrolment import Trainee

metadata = MetaData()

trainee_households = Table(
    "trainee_households",
    metadata,
    columns.household_id(primary_key=True),
    Column("file_number", String(40), nullable=False),
    columns.county_code(nullable=False),
    columns.village_code(nullable=False, index=True),
    Column("status", String(20), nullable=False),
    # When it counts for the 2020 goal by business date, and when training learnt so.
    Column("identified_on", Date),
    Column("identified_at", DateTime(timezone=True)),
    Column("removed_on", Date),  # removed as wrongly identified (清退)
    Column("removed_at", DateTime(timezone=True)),
)

trainees = Roster(
    "trainee_members",
    metadata,
    Column("labour_ability", String(20)),
    Column("member_since", Date, nullable=False),
    id_hash=Column("id_number_hash", String(128), index=True),
)
trainee_members = trainees.table

projection = Projection("training.trainee_households", tables=[trainee_households, trainee_members])


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
        trainees.row(e.data.household_id, m, member_since=e.data.effective_date)
        for e in events
        for m in e.data.members
    ]
    await upsert(conn, trainee_members, members, keys=["person_id"])


@projection.on(reg.MemberAddedV2)
async def member_added(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        trainees.row(e.data.household_id, e.data.member, member_since=e.data.effective_date)
        for e in events
    ]
    await upsert(conn, trainee_members, rows, keys=["person_id"])


# Gone from the household, or erased by the registry: nothing of the person stays here.
projection.on(reg.MemberRemovedV1)(trainees.forget)
projection.on(reg.PersonErasedV1)(trainees.forget)
trainees.keep(projection)


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
    return await by_key(conn, trainee_households, household_id=household_id)


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
