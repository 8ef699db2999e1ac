"""The microcredit programme's ceiling (40 billion yuan) and its county quotas."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.loans import QuotaAllocatedV1
from tuopin_eventkit.store.aggregate import RuleViolation
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore, NewEvent
from tuopin_loans.application import exposure
from tuopin_loans.application.book_tables import quotas
from tuopin_loans.application.reference import programme
from tuopin_loans.domain.rules import yuan

STREAM = "microcredit-programme"


async def allocate(
    conn: AsyncConnection, store: EventStore, county_code: str, amount: int, on: date
) -> Outcome:
    """Set a county's quota; all quotas together stay within the programme's ceiling, and a
    quota never drops below what the county has already committed."""
    q = quotas.c
    others = select(func.coalesce(func.sum(q.amount), 0)).where(q.county_code != county_code)
    allocated = int((await conn.execute(others)).scalar_one())
    ceiling = programme().microcredit_ceiling
    if allocated + amount > ceiling:
        raise RuleViolation(
            f"quotas would total {yuan(allocated + amount)} yuan, over the programme's "
            f"{yuan(ceiling)}"
        )
    used = await exposure.committed(conn, county_code)
    if amount < used:
        raise RuleViolation(f"county {county_code} has already committed {yuan(used)} yuan")
    event = QuotaAllocatedV1(county_code=county_code, amount=amount, allocated_on=on)
    version = len(await store.load(conn, STREAM))
    new = [NewEvent(type=event.TYPE, data=event.model_dump(mode="json"))]
    await store.append(conn, "programme", STREAM, version, new)
    return Outcome(await standing(conn, county_code))


async def standing(conn: AsyncConnection, county_code: str) -> dict[str, Any]:
    return {
        "county_code": county_code,
        "quota": await exposure.quota(conn, county_code),
        "committed": await exposure.committed(conn, county_code),
        "programme_ceiling": programme().microcredit_ceiling,
        "programme_committed": await exposure.committed(conn),
    }
