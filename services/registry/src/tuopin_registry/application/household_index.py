"""The registry's own read model of households and members, kept in the appending
transaction (an inline projection), for lists, filters, counts, notices and deduplication.

``household_members`` holds each person's active membership; a unique index on the
identity hash of active members is the last guard of "one person, one household". No
column holds a name or a masked number in clear: a member's personal details are kept
``sealed`` as the events carry them, opened by the people vault when an answer needs
them, and unreadable once the person is erased (and then dropped from the row too).
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    insert,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events import registry as reg
from tuopin_eventkit.batched import executemany
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection

metadata = MetaData()

households = Table(
    "households",
    metadata,
    columns.household_id(primary_key=True),
    Column("file_number", String(40), nullable=False, unique=True),
    columns.county_code(nullable=False),
    columns.village_code(nullable=False, index=True),
    Column("status", String(20), nullable=False, index=True),
    Column("status_since", Date, nullable=False),
    Column("poverty_attribute", String(30), nullable=False),
    Column("primary_cause", String(30), nullable=False),
    Column("causes", String(300), nullable=False),  # ",illness,disability," for any-cause filters
    Column("size", Integer, nullable=False),
    Column("identified_year", Integer, nullable=False),
    Column("cadre_name", String(50)),
    Column("cadre_unit", String(200)),
    Column("notice_from", Date),
    Column("notice_until", Date),
    Column("income_year", Integer),
    Column("income_per_head", BigInteger),  # fen
    Column("housing_safe", Boolean),
    Column("drinking_water_safe", Boolean),
    Column("relocating", Boolean, nullable=False),
    Column("cooperative", String(200)),
    Column("version", Integer, nullable=False),
)

household_members = Table(
    "household_members",
    metadata,
    Column("person_id", String(36), primary_key=True),
    columns.household_id(nullable=False, index=True),
    Column("relation", String(20), nullable=False),
    Column("id_number_hash", String(64)),
    Column("sealed", Text),  # name, sex, birth date, health, mask: see sealing.PersonKey
    Column("active", Boolean, nullable=False),
)
Index(
    "uq_active_member_identity",
    household_members.c.id_number_hash,
    unique=True,
    sqlite_where=household_members.c.active,
    postgresql_where=household_members.c.active,
)

index = Projection("registry.household_index", tables=[household_members, households])


def causes_text(primary: str, secondary: Sequence[str]) -> str:
    return "," + ",".join([primary, *secondary]) + ","


def member_row(household_id: str, member: reg.SealedMember) -> dict[str, Any]:
    return {
        "person_id": str(member.person_id),
        "household_id": household_id,
        "relation": member.relation,
        "id_number_hash": member.id_number_hash,
        "sealed": member.sealed,
        "active": True,
    }


@index.on(reg.HouseholdRegisteredV3)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows, members = [], []
    for e in events:
        data: reg.HouseholdRegisteredV3 = e.data
        rows.append(
            {
                "household_id": str(data.household_id),
                "file_number": data.file_number,
                "county_code": data.county_code,
                "village_code": data.village_code,
                "status": "identified",
                "status_since": data.effective_date,
                "poverty_attribute": data.poverty_attribute,
                "primary_cause": data.primary_cause,
                "causes": causes_text(data.primary_cause, data.secondary_causes),
                "size": len(data.members),
                "identified_year": data.identified_year,
                "relocating": False,
                "version": e.envelope.sequence,
            }
        )
        members += [member_row(str(data.household_id), m) for m in data.members]
    await executemany(conn, _NEW_HOUSEHOLD, rows)
    await executemany(conn, _NEW_MEMBER, members)


# Built once: an import inserts thousands of rows a batch through their cached compiled
# form (see ``executemany``).
_NEW_HOUSEHOLD, _NEW_MEMBER = insert(households), insert(household_members)


MemberChange = Callable[[AsyncConnection, Any], Awaitable[None]]


def _sets(
    model: type[EventData],
    values: Callable[[Any], dict[str, Any]],
    members: MemberChange | None = None,
) -> None:
    """Register a handler that sets columns of the household's row from each event, and
    changes its member rows when ``members`` says how."""

    async def handler(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for e in events:
            await conn.execute(
                update(households)
                .where(households.c.household_id == str(e.data.household_id))
                .values(version=e.envelope.sequence, **values(e.data))
            )
            if members is not None:
                await members(conn, e.data)

    index.on(model)(handler)


async def _join(conn: AsyncConnection, data: reg.MemberAddedV2) -> None:
    await conn.execute(insert(household_members), member_row(str(data.household_id), data.member))


async def _reseal(conn: AsyncConnection, data: reg.MemberUpdatedV2) -> None:
    if data.sealed is not None:
        await conn.execute(
            update(household_members)
            .where(household_members.c.person_id == str(data.person_id))
            .values(sealed=data.sealed)
        )


async def _reidentify(conn: AsyncConnection, data: reg.IdentityCorrectedV1) -> None:
    """The corrected number is the one a person is known (and deduplicated) by."""
    await conn.execute(
        update(household_members)
        .where(household_members.c.person_id == str(data.person_id))
        .values(id_number_hash=data.id_number_hash, sealed=data.sealed)
    )


async def _forget(conn: AsyncConnection, data: reg.PersonErasedV1) -> None:
    """The sealed details no longer open (the key is gone): drop even the ciphertext, and
    the identity hash (only active members are deduplicated on it)."""
    await conn.execute(
        update(household_members)
        .where(household_members.c.person_id == str(data.person_id))
        .values(sealed=None, id_number_hash=None)
    )


async def _leave(conn: AsyncConnection, data: reg.MemberRemovedV1) -> None:
    await conn.execute(
        update(household_members)
        .where(household_members.c.person_id == str(data.person_id))
        .values(active=False)
    )


async def _release_all(conn: AsyncConnection, data: reg.HouseholdRemovedV1) -> None:
    """A wrongly identified household's people are free to be registered elsewhere."""
    await conn.execute(
        update(household_members)
        .where(household_members.c.household_id == str(data.household_id))
        .values(active=False)
    )


def _status(data: reg.StatusChanged) -> dict[str, Any]:
    return {"status": data.status, "status_since": data.effective_date}


_sets(reg.MemberAddedV2, lambda d: {"size": households.c.size + 1}, members=_join)
_sets(reg.MemberUpdatedV2, lambda d: {}, members=_reseal)
_sets(reg.PersonErasedV1, lambda d: {}, members=_forget)
_sets(reg.IdentityCorrectedV1, lambda d: {}, members=_reidentify)
_sets(reg.MemberRemovedV1, lambda d: {"size": households.c.size - 1}, members=_leave)
_sets(
    reg.CausesRecordedV1,
    lambda d: {
        "primary_cause": d.primary_cause,
        "causes": causes_text(d.primary_cause, d.secondary_causes),
    },
)
_sets(reg.IncomeRecordedV1, lambda d: {"income_year": d.year, "income_per_head": d.per_head})
_sets(  # a correction of an earlier year leaves the latest year's figure shown
    reg.IncomeCorrectedV1,
    lambda d: {
        "income_per_head": case(
            (households.c.income_year == d.year, d.per_head), else_=households.c.income_per_head
        )
    },
)
_sets(
    reg.ConditionsAssessedV1,
    lambda d: {"housing_safe": d.housing_safe, "drinking_water_safe": d.drinking_water_safe},
)
_sets(
    reg.ResponsibilityAssignedV1, lambda d: {"cadre_name": d.cadre_name, "cadre_unit": d.cadre_unit}
)
_sets(reg.RelocationRecordedV1, lambda d: {"relocating": d.relocating})
_sets(reg.CooperativeJoinedV1, lambda d: {"cooperative": d.cooperative})
for _fact in (reg.NeedListedV1, reg.MeasurePlannedV1, reg.MeasureProgressedV1):
    _sets(_fact, lambda d: {})  # in the household's history and detail, not in the index
for _step in [
    s for s in reg.STATUS_CHANGES if s not in (reg.HouseholdRemovedV1, reg.ExitPublicisedV1)
]:
    _sets(_step, _status)
_sets(reg.HouseholdRemovedV1, _status, members=_release_all)
_sets(
    reg.ExitPublicisedV1,
    lambda d: {**_status(d), "notice_from": d.notice_from, "notice_until": d.notice_until},
)
