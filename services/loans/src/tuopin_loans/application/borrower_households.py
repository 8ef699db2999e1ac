"""Local read model of registered poor households: who may borrow (贷款对象).

Loans never asks the registry; it keeps its own copy from the registry's events.
"""

from collections.abc import Sequence

from sqlalchemy import Column, Date, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.registry import HouseholdRegisteredV2
from tuopin_eventkit.db import upsert
from tuopin_eventkit.projection import Delivered, Projection

metadata = MetaData()

borrower_households = Table(
    "borrower_households",
    metadata,
    Column("household_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("poverty_status", String(16), nullable=False),
    Column("status_since", Date, nullable=False),
)

projection = Projection("loans.borrower_households", tables=[borrower_households])


@projection.on(HouseholdRegisteredV2)
async def registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            "household_id": str(e.data.household_id),
            "county_code": e.data.county_code,
            "poverty_status": "poor",
            "status_since": e.data.effective_date,
        }
        for e in events
    ]
    await upsert(conn, borrower_households, rows, keys=["household_id"])


async def eligibility(conn: AsyncConnection, household_id: str) -> dict[str, object]:
    """Whether the household may apply for poverty microcredit, with the failed rules."""
    row = (
        await conn.execute(
            select(borrower_households).where(borrower_households.c.household_id == household_id)
        )
    ).first()
    if row is None:
        return {
            "household_id": household_id,
            "eligible": False,
            "reasons": ["household is not a registered poor household (未建档立卡)"],
        }
    return {
        "household_id": household_id,
        "eligible": row.poverty_status == "poor",
        "county_code": row.county_code,
        "reasons": [],
    }
