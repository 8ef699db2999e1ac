"""Local read model of the registry's households and members: who may borrow (贷款对象).

Loans never asks the registry; it keeps its own copy from the registry's events — each
household's status through time (so an application is judged by the status on its own
date), whether it is relocating, and its members by the keyed hash of their resident ID
(the bank sends the number; loans hashes it with the shared key and never stores it),
with what the rules need of them: birth year and month (the age rule counts from the 1st
of the month; the registry publishes no birth day) and schooling. A person the registry
erases is forgotten here too.
"""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import born
from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import HouseholdStatus, Schooling
from tuopin_eventkit.db import upsert
from tuopin_eventkit.projection import Delivered, Projection

metadata = MetaData()

borrower_households = Table(
    "borrower_households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("village_code", String(12), nullable=False, index=True),  # whose mutual-aid fund
    Column("relocating", Boolean, nullable=False, default=False),
)
status_history = Table(
    "borrower_status_history",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("effective_date", Date, primary_key=True),
    Column("status", String(16), primary_key=True),
)
borrower_members = Table(
    "borrower_members",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("household_id", String(36), nullable=False, index=True),
    Column("id_hash", String(64), index=True),
    Column("birth_year", Integer),
    Column("birth_month", Integer),
    Column("schooling", String(24)),
)

projection = Projection(
    "loans.borrower_households", tables=[borrower_households, status_history, borrower_members]
)


def _member(household_id: str, m: reg.SealedMember) -> dict[str, object]:
    return {
        "person_id": str(m.person_id),
        "household_id": household_id,
        "id_hash": m.id_number_hash,
        "birth_year": m.birth_year,
        "birth_month": m.birth_month,
        "schooling": m.schooling,
    }


@projection.on(reg.HouseholdRegisteredV3)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    homes = [
        {"household_id": str(e.data.household_id), "county_code": e.data.county_code,
         "village_code": e.data.village_code, "relocating": False}
        for e in events
    ]  # fmt: skip
    await upsert(conn, borrower_households, homes, keys=["household_id"])
    statuses = [
        {"household_id": h["household_id"], "effective_date": e.data.effective_date,
         "status": HouseholdStatus.IDENTIFIED}
        for h, e in zip(homes, events, strict=True)
    ]  # fmt: skip
    await upsert(conn, status_history, statuses, keys=["household_id", "effective_date", "status"])
    members = [_member(str(e.data.household_id), m) for e in events for m in e.data.members]
    if members:
        await upsert(conn, borrower_members, members, keys=["person_id"])


async def _status_changed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {"household_id": str(e.data.household_id), "effective_date": e.data.effective_date,
         "status": e.data.status}
        for e in events
    ]  # fmt: skip
    await upsert(conn, status_history, rows, keys=["household_id", "effective_date", "status"])


for _kind in (
    reg.AssistanceStartedV1, reg.ExitProposedV1, reg.ExitPublicisedV1, reg.HouseholdExitedV1,
    reg.ExitRejectedV1, reg.ReturnedToPovertyV1, reg.HouseholdRemovedV1,
):  # fmt: skip
    projection.on(_kind)(_status_changed)


@projection.on(reg.RelocationRecordedV1)
async def relocation(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        await conn.execute(
            update(borrower_households)
            .where(borrower_households.c.household_id == str(e.data.household_id))
            .values(relocating=e.data.relocating)
        )


@projection.on(reg.MemberAddedV2)
async def member_added(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [_member(str(e.data.household_id), e.data.member) for e in events]
    await upsert(conn, borrower_members, rows, keys=["person_id"])


@projection.on(reg.MemberRemovedV1)
async def member_removed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    ids = [str(e.data.person_id) for e in events]
    await conn.execute(delete(borrower_members).where(borrower_members.c.person_id.in_(ids)))


# Erased by the registry: nothing of the person stays (a member who left is already gone;
# one of a removed household is still here).
projection.on(reg.PersonErasedV1)(member_removed)


@projection.on(reg.MemberUpdatedV2)
async def member_updated(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        if e.data.schooling is not None:
            await conn.execute(
                update(borrower_members)
                .where(borrower_members.c.person_id == str(e.data.person_id))
                .values(schooling=e.data.schooling)
            )


async def household(conn: AsyncConnection, household_id: str) -> dict[str, object] | None:
    row = (
        await conn.execute(
            select(borrower_households).where(borrower_households.c.household_id == household_id)
        )
    ).first()
    return None if row is None else dict(row._mapping)


async def status_on(conn: AsyncConnection, household_id: str, day: date) -> HouseholdStatus | None:
    """The household's status on a day: its latest change dated on or before it."""
    h = status_history.c
    row = (
        await conn.execute(
            select(h.status)
            .where(h.household_id == household_id, h.effective_date <= day)
            .order_by(h.effective_date.desc())
        )
    ).first()
    return None if row is None else HouseholdStatus(row.status)


async def member(
    conn: AsyncConnection, household_id: str, id_hash: str
) -> tuple[date | None, Schooling | None] | None:
    """The member's birth (the 1st of their birth month) and schooling; None: no such member."""
    m = borrower_members.c
    row = (
        await conn.execute(
            select(m.birth_year, m.birth_month, m.schooling).where(
                m.household_id == household_id, m.id_hash == id_hash
            )
        )
    ).first()
    if row is None:
        return None
    return born(row.birth_year, row.birth_month), Schooling(
        row.schooling
    ) if row.schooling else None
