"""Local read model of registered households whose members may enrol (培训对象).

Training never asks the registry; it keeps its own copy from the registry's events. The
2020 goal counts per household, so the household size is kept for coverage.
"""

from collections.abc import Sequence

from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.registry import HouseholdRegisteredV2
from tuopin_eventkit.db import upsert
from tuopin_eventkit.projection import Delivered, Projection

metadata = MetaData()

trainee_households = Table(
    "trainee_households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("village_code", String(12), nullable=False, index=True),
    Column("members", Integer, nullable=False),
)

projection = Projection("training.trainee_households", tables=[trainee_households])


@projection.on(HouseholdRegisteredV2)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            "household_id": str(e.data.household_id),
            "village_code": e.data.village_code,
            "members": len(e.data.members),
        }
        for e in events
    ]
    await upsert(conn, trainee_households, rows, keys=["household_id"])


async def household(conn: AsyncConnection, household_id: str) -> dict[str, object] | None:
    row = (
        await conn.execute(
            select(trainee_households).where(trainee_households.c.household_id == household_id)
        )
    ).first()
    return None if row is None else dict(row._mapping)
