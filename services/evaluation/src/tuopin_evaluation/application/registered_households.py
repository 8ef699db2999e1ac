"""Read model of registered households (建档立卡户), the base of every roll-up."""

from collections.abc import Sequence

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.registry import HouseholdRegisteredV2
from tuopin_eventkit.db import upsert
from tuopin_eventkit.projection import Delivered, Projection

metadata = MetaData()

registered_households = Table(
    "registered_households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("village_code", String(12), nullable=False),
    Column("size", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

projection = Projection("evaluation.registered_households", tables=[registered_households])


@projection.on(HouseholdRegisteredV2)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            "household_id": str(e.data.household_id),
            "county_code": e.data.county_code,
            "village_code": e.data.village_code,
            "size": len(e.data.members),
            "registered_at": e.envelope.time,
        }
        for e in events
    ]
    await upsert(conn, registered_households, rows, keys=["household_id"])


async def households_per_county(conn: AsyncConnection) -> list[dict[str, object]]:
    t = registered_households
    rows = await conn.execute(
        select(
            t.c.county_code, func.count().label("households"), func.sum(t.c.size).label("people")
        )
        .group_by(t.c.county_code)
        .order_by(t.c.county_code)
    )
    return [
        {"county_code": r.county_code, "households": r.households, "people": int(r.people)}
        for r in rows
    ]
