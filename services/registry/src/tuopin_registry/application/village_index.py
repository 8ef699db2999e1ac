"""Read model of villages: standing, population (the incidence denominator), responsibility."""

from collections.abc import Sequence

from sqlalchemy import JSON, BigInteger, Boolean, Column, Integer, MetaData, String, Table, update
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection

metadata = MetaData()

villages = Table(
    "villages",
    metadata,
    columns.village_code(primary_key=True),
    Column("name", String(100), nullable=False),
    columns.county_code(nullable=False, index=True),
    Column("poor", Boolean, nullable=False),
    Column("rural_population", Integer, nullable=False),
    Column("hardship_belt", String(100), index=True),  # the name (legacy: free text)
    Column("hardship_belt_code", String(20), index=True),
    Column("first_secretary", String(50)),
    Column("work_team", JSON),
    Column("responsible_unit", String(200)),
    Column("cooperatives", Integer, nullable=False),
    Column("mutual_aid_fund", BigInteger, nullable=False),  # fen
    Column("version", Integer, nullable=False),
)

index = Projection("registry.village_index", tables=[villages])


@index.on(reg.VillageRegisteredV1)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            "village_code": e.data.village_code,
            "name": e.data.name,
            "county_code": e.data.village_code[:6],
            "poor": e.data.poor,
            "rural_population": e.data.rural_population,
            "hardship_belt": e.data.hardship_belt,
            "hardship_belt_code": e.data.hardship_belt_code,
            "cooperatives": 0,
            "mutual_aid_fund": 0,
            "version": e.envelope.sequence,
        }
        for e in events
    ]
    await upsert(conn, villages, rows, keys=["village_code"])


@index.on(reg.VillageResponsibilityAssignedV1)
async def responsibility(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _set(conn, events, "first_secretary", "work_team", "responsible_unit")


@index.on(reg.VillageProfileRecordedV1)
async def profile(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _set(conn, events, "poor", "rural_population", "cooperatives", "mutual_aid_fund")


async def _set(conn: AsyncConnection, events: Sequence[Delivered], *fields: str) -> None:
    """Each event's ``fields`` set on its village's row, with the version it makes."""
    for e in events:
        await conn.execute(
            update(villages)
            .where(villages.c.village_code == e.data.village_code)
            .values(version=e.envelope.sequence, **{f: getattr(e.data, f) for f in fields})
        )
