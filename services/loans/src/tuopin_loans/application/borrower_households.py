"""Local read model of the registry's households and members: who may borrow (贷款对象).

Loans never asks the registry; it keeps its own copy from the registry's events. What can
change is kept through business time, so an application is judged by the household as it
stood on the decision date however late the county recorded a change: every status with
the date it took effect, whether it was relocating from when, and its members with the
dates they joined and left. Each change keeps its recording instant too (the audit view:
what loans knew when it decided). Members are known by the keyed hash of their resident ID
(the bank sends the number; loans hashes it with the shared key and never stores it), with
what the rules need of them: birth year and month (the age rule counts from the 1st of the
month; the registry publishes no birth day) and schooling (current only: the registry's
schooling changes are not a rule of the past). A person the registry erases is forgotten.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    MetaData,
    String,
    Table,
    bindparam,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import born
from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import HouseholdStatus, Schooling
from tuopin_eventkit.batched import executemany, upsert
from tuopin_eventkit.db import by_key, recorded_by
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_eventkit.store.roster import Roster

metadata = MetaData()

borrower_households = Table(
    "borrower_households",
    metadata,
    columns.household_id(primary_key=True),
    columns.county_code(nullable=False, index=True),
    columns.village_code(nullable=False, index=True),  # whose mutual-aid fund
)


def _changes(name: str, value: Column[Any]) -> Table:
    """One row per dated change of a household's ``value`` (a status, or relocation marked
    or unmarked); its stream's sequence orders same-day ones."""
    return Table(
        name,
        metadata,
        columns.household_id(primary_key=True),
        columns.sequence(),
        Column("effective_date", Date, nullable=False),
        value,
        columns.recorded_at(),
    )


status_history = _changes("borrower_status_history", Column("status", String(16), nullable=False))
relocation_history = _changes(
    "borrower_relocation_history", Column("relocating", Boolean, nullable=False)
)
borrowers = Roster(
    "borrower_members",
    metadata,
    Column("schooling", String(24)),
    Column("joined_on", Date),  # None: filed with the household
    Column("left_on", Date),  # None: still a member
    id_hash=Column("id_hash", String(64), index=True),
)
borrower_members = borrowers.table

_LEFT = borrowers.update(left_on=bindparam("on"))
projection = Projection(
    "loans.borrower_households",
    tables=[borrower_households, status_history, relocation_history, borrower_members],
)


def _dated(e: Delivered, **values: object) -> dict[str, object]:
    """A change's row: whose, where in its stream, true from when, recorded when."""
    return {
        "household_id": str(e.data.household_id),
        "sequence": e.envelope.sequence,
        "effective_date": e.data.effective_date,
        "recorded_at": e.envelope.time,
        **values,
    }


@projection.on(reg.HouseholdRegisteredV3)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    homes = [
        {
            "household_id": str(e.data.household_id),
            "county_code": e.data.county_code,
            "village_code": e.data.village_code,
        }
        for e in events
    ]
    await upsert(conn, borrower_households, homes, keys=["household_id"])
    statuses = [_dated(e, status=HouseholdStatus.IDENTIFIED) for e in events]
    await upsert(conn, status_history, statuses, keys=["household_id", "sequence"])
    members = [
        borrowers.row(e.data.household_id, m, joined_on=None, left_on=None)
        for e in events
        for m in e.data.members
    ]
    if members:
        await upsert(conn, borrower_members, members, keys=["person_id"])


async def _status_changed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [_dated(e, status=e.data.status) for e in events]
    await upsert(conn, status_history, rows, keys=["household_id", "sequence"])


for _kind in reg.STATUS_CHANGES:
    projection.on(_kind)(_status_changed)


@projection.on(reg.RelocationRecordedV1)
async def relocation(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [_dated(e, relocating=e.data.relocating) for e in events]
    await upsert(conn, relocation_history, rows, keys=["household_id", "sequence"])


@projection.on(reg.MemberAddedV2)
async def member_added(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        borrowers.row(
            e.data.household_id, e.data.member, joined_on=e.data.effective_date, left_on=None
        )
        for e in events
    ]
    again = ["household_id", "joined_on", "left_on"]  # one who left may come back
    await upsert(conn, borrower_members, rows, keys=["person_id"], update=again)


@projection.on(reg.MemberRemovedV1)
async def member_removed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    """A member who left stays, with the day: a decision dated before it still finds them."""
    rows = [{"person": str(e.data.person_id), "on": e.data.effective_date} for e in events]
    await executemany(conn, _LEFT, rows)


# Erased by the registry: nothing of the person stays.
projection.on(reg.PersonErasedV1)(borrowers.forget)
borrowers.keep(projection)


async def household(conn: AsyncConnection, household_id: str) -> dict[str, object] | None:
    return await by_key(conn, borrower_households, household_id=household_id)


@dataclass(frozen=True)
class Standing:
    """A household's status on a day, from when, and when it was first identified."""

    status: HouseholdStatus | None  # None: not yet identified on that day
    since: date | None
    identified_on: date | None  # None: the registry never filed it


async def standing(
    conn: AsyncConnection, household_id: str, day: date, known_at: datetime | None = None
) -> Standing:
    """The household's status on a day: its latest change dated on or before it (the later
    recorded of two on the same day); with ``known_at``, only as recorded by that instant."""
    h = status_history.c
    rows = (
        await conn.execute(
            select(h.status, h.effective_date)
            .where(h.household_id == household_id, recorded_by(h.recorded_at, known_at))
            .order_by(h.effective_date, h.sequence)
        )
    ).all()
    if not rows:
        return Standing(None, None, None)
    in_force = [r for r in rows if r.effective_date <= day]
    first = min(r.effective_date for r in rows)
    if not in_force:
        return Standing(None, None, first)
    last = in_force[-1]
    return Standing(HouseholdStatus(last.status), last.effective_date, first)


async def relocating_on(
    conn: AsyncConnection, household_id: str, day: date, known_at: datetime | None = None
) -> bool:
    r = relocation_history.c
    row = (
        await conn.execute(
            select(r.relocating)
            .where(
                r.household_id == household_id,
                r.effective_date <= day,
                recorded_by(r.recorded_at, known_at),
            )
            .order_by(r.effective_date.desc(), r.sequence.desc())
        )
    ).first()
    return bool(row and row.relocating)


async def member(
    conn: AsyncConnection, household_id: str, id_hash: str, day: date
) -> tuple[date | None, Schooling | None] | None:
    """The member's birth (the 1st of their birth month) and schooling; None: not a member
    of the household on that day."""
    m = borrower_members.c
    row = (
        await conn.execute(
            select(m.birth_year, m.birth_month, m.schooling).where(
                m.household_id == household_id,
                m.id_hash == id_hash,
                or_(m.joined_on.is_(None), m.joined_on <= day),
                or_(m.left_on.is_(None), m.left_on > day),
            )
        )
    ).first()
    if row is None:
        return None
    return born(row.birth_year, row.birth_month), Schooling(
        row.schooling
    ) if row.schooling else None
