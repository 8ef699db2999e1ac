"""What evaluation knows of each registered household, from the registry's events: its
place, status, members (age, schooling, insurance), incomes and living conditions — the
facts an exit is verified on, and the base of every roll-up — with the history of its
status (each with the date it took effect, for "as of" counts), and the villages with
their standing (poor village or not, rural population: the incidence denominator) and
their conditions as the county assessed them (what village exit is judged on).

What these facts cause — an exit judged, a return warning raised — is the reaction
``exit_judgement``, which waits for this read model to have applied each event first.
"""

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache

from sqlalchemy import Update, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_evaluation.application.facts import (
    households,
    income_history,
    incomes,
    members,
    recorded,
    roster,
    status_history,
    village_conditions,
    village_standing,
    villages,
)
from tuopin_eventkit.batched import executemany, upsert
from tuopin_eventkit.store.projection import Delivered, Projection

# The handlers' statements, built once: each runs with executemany over a batch's rows.
_LEFT = roster.update(active=False, left_on=bindparam("on"), left_recorded_at=bindparam("at"))
_ERASED = roster.update(birth_year=None, birth_month=None, schooling=None, medical_insurance=False)
_ACTIVE = (
    select(func.count())
    .where(members.c.household_id == bindparam("household"), members.c.active)
    .scalar_subquery()
)
_RESIZE = (
    update(households)
    .where(households.c.household_id == bindparam("household"))
    .values(size=_ACTIVE)
)


def member_row(
    household_id: object, m: reg.SealedMember, joined_on: date, joined_recorded_at: datetime
) -> dict[str, object]:
    return roster.row(
        household_id,
        m,
        active=True,
        joined_on=joined_on,
        left_on=None,
        joined_recorded_at=joined_recorded_at,
        left_recorded_at=None,
    )


def history_row(e: Delivered, status: str) -> dict[str, object]:
    return {
        "household_id": str(e.data.household_id),
        "sequence": e.envelope.sequence,
        "status": status,
        "effective_date": e.data.effective_date,
        "year": e.data.effective_date.year,
        "recorded_at": recorded(e),
    }


def standing_row(e: Delivered) -> dict[str, object]:
    return {
        "village_code": e.data.village_code,
        "sequence": e.envelope.sequence,
        "effective_date": e.data.effective_date,
        "poor": e.data.poor,
        "rural_population": e.data.rural_population,
        "recorded_at": recorded(e),
    }


def household_facts() -> Projection:
    projection = Projection(
        "evaluation.households",
        tables=[
            incomes,
            income_history,
            members,
            households,
            status_history,
            villages,
            village_standing,
            village_conditions,
        ],
    )

    @projection.on(reg.HouseholdRegisteredV3)
    async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "household_id": str(e.data.household_id),
                "county_code": e.data.county_code,
                "village_code": e.data.village_code,
                "status": "identified",
                "size": len(e.data.members),
                "registered_at": e.envelope.time,
            }
            for e in events
        ]
        await upsert(conn, households, rows, keys=["household_id"])
        people = [
            member_row(household_id, m, e.data.effective_date, at)
            for e in events
            for household_id, at in [(str(e.data.household_id), recorded(e))]
            for m in e.data.members
        ]
        await upsert(conn, members, people, keys=["person_id"])
        await _history(conn, [history_row(e, "identified") for e in events])

    @projection.on(reg.MemberAddedV2)
    async def joined(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            member_row(str(e.data.household_id), e.data.member, e.data.effective_date, recorded(e))
            for e in events
        ]
        await upsert(conn, members, rows, keys=["person_id"])
        await _resize(conn, events)

    @projection.on(reg.MemberRemovedV1)
    async def left(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await executemany(
            conn,
            _LEFT,
            [
                {"person": str(e.data.person_id), "on": e.data.effective_date, "at": recorded(e)}
                for e in events
            ],
        )
        await _resize(conn, events)

    @projection.on(reg.PersonErasedV1)
    async def forgotten(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        # Erased by the registry: only an anonymous row stays, for the counts of people
        # by day (joined, left); nothing that describes the person.
        await executemany(conn, _ERASED, [{"person": str(e.data.person_id)} for e in events])

    roster.keep(projection)  # a corrected ID number carries a corrected birth: ages count from it

    async def earned(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "household_id": str(e.data.household_id),
                "year": e.data.year,
                "per_head": e.data.per_head,
                "members": e.data.members,
            }
            for e in events
        ]
        await upsert(
            conn, incomes, rows, keys=["household_id", "year"], update=["per_head", "members"]
        )
        recordings = [
            {
                "household_id": row["household_id"],
                "year": row["year"],
                "per_head": row["per_head"],
                "sequence": e.envelope.sequence,
                "recorded_at": recorded(e),
            }
            for row, e in zip(rows, events, strict=True)
        ]
        await upsert(conn, income_history, recordings, keys=["household_id", "sequence"])

    for kind in reg.INCOMES:  # as first recorded, or corrected (the latest recording counts)
        projection.on(kind)(earned)

    @projection.on(reg.ConditionsAssessedV1)
    async def assessed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await _set(conn, events, "housing_safe", "drinking_water_safe")

    async def status_changed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await _set(conn, events, "status")
        await _history(conn, [history_row(e, e.data.status) for e in events])

    for step in reg.STATUS_CHANGES:
        projection.on(step)(status_changed)

    @projection.on(reg.VillageRegisteredV1)
    async def village_registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        belt = ("hardship_belt", "hardship_belt_code")
        await _village(conn, events, "name", *belt, registered_on="effective_date")

    @projection.on(reg.VillageProfileRecordedV1)
    async def village_profiled(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await _village(conn, events, "cooperatives", "mutual_aid_fund")

    @projection.on(reg.VillageConditionsRecordedV1)
    async def village_assessed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "village_code": e.data.village_code,
                "sequence": e.envelope.sequence,
                "condition": name,
                "value": int(value),
                "effective_date": e.data.effective_date,
                "recorded_at": recorded(e),
                "source": e.data.source,
            }
            for e in events
            for name in reg.VILLAGE_CONDITIONS
            if (value := getattr(e.data, name)) is not None
        ]
        await upsert(conn, village_conditions, rows, keys=["village_code", "sequence", "condition"])

    return projection


async def _village(
    conn: AsyncConnection, events: Sequence[Delivered], *fields: str, **renamed: str
) -> None:
    """A village's row as each event says: where it lies (from its code), its standing
    (kept in its history too), its ``fields`` and its columns ``renamed`` from fields."""
    columns = {**{f: f for f in fields}, **renamed}
    rows = [
        {
            "village_code": e.data.village_code,
            "county_code": e.data.village_code[:6],
            "township_code": e.data.village_code[:9],
            "poor": e.data.poor,
            "rural_population": e.data.rural_population,
            **{column: getattr(e.data, field) for column, field in columns.items()},
        }
        for e in events
    ]
    changing = ["poor", "rural_population", *columns]
    await upsert(conn, villages, rows, keys=["village_code"], update=changing)
    rows = [standing_row(e) for e in events]
    await upsert(conn, village_standing, rows, keys=["village_code", "sequence"])


async def _history(conn: AsyncConnection, rows: list[dict[str, object]]) -> None:
    await upsert(conn, status_history, rows, keys=["household_id", "sequence"])


async def _set(conn: AsyncConnection, events: Sequence[Delivered], *fields: str) -> None:
    """Set each event's ``fields`` on its household's row: one statement run for the whole
    batch, in event order, so a household's last event wins."""
    rows = [
        {
            "household": str(e.data.household_id),
            **{f"new_{name}": getattr(e.data, name) for name in fields},
        }
        for e in events
    ]
    await executemany(conn, _setting(fields), rows)


@cache
def _setting(names: tuple[str, ...]) -> Update:
    return (
        update(households)
        .where(households.c.household_id == bindparam("household"))
        .values({name: bindparam(f"new_{name}") for name in names})
    )


async def _resize(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    """Recount the active members of each household the events touched."""
    touched = dict.fromkeys(str(e.data.household_id) for e in events)
    await executemany(conn, _RESIZE, [{"household": h} for h in touched])


async def households_per_county(conn: AsyncConnection) -> list[dict[str, object]]:
    t = households
    rows = await conn.execute(
        select(
            t.c.county_code, func.count().label("households"), func.sum(t.c.size).label("people")
        )
        .where(t.c.status != "removed")
        .group_by(t.c.county_code)
        .order_by(t.c.county_code)
    )
    return [
        {"county_code": row.county_code, "households": row.households, "people": int(row.people)}
        for row in rows
    ]
