"""A household's education assistance (教育保障, seed 四.9(1)) as training recorded it: per
member (masked number) and academic year, the 中职 grant and the fees waived, decided by a
business date and recorded by an instant."""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_evaluation.application.facts import households
from tuopin_evaluation.application.reach import education_assistance
from tuopin_eventkit.db import recorded_by
from tuopin_eventkit.store.aggregate import NotFound

GRANT = "grant"


async def household(
    conn: AsyncConnection, household_id: str, as_of: date, known_at: datetime | None
) -> dict[str, Any]:
    known = select(households.c.household_id).where(households.c.household_id == household_id)
    if await conn.scalar(known) is None:
        raise NotFound(f"no registered household {household_id}")
    a = education_assistance.c
    rows = await conn.execute(
        select(education_assistance)
        .where(
            and_(
                a.household_id == household_id,
                a.decided_on <= as_of,
                recorded_by(a.recorded_at, known_at),
            )
        )
        .order_by(a.id_number_masked, a.id_number_hash, a.academic_year, a.kind)
    )
    years: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    masked: dict[str, str] = {}
    for r in rows:
        masked[r.id_number_hash] = r.id_number_masked
        year = years[r.id_number_hash].setdefault(
            r.academic_year,
            {
                "academic_year": r.academic_year,
                "level": r.level,
                "school": r.school,
                "granted_fen": 0,
                "waived_fen": 0,
                "assistance": [],
            },
        )
        year["granted_fen" if r.kind == GRANT else "waived_fen"] += r.amount_fen
        year["assistance"].append(
            {"kind": r.kind, "amount_fen": r.amount_fen, "decided_on": r.decided_on}
        )
    every_year = [y for by_year in years.values() for y in by_year.values()]
    members = [
        {"member": masked[person], "years": list(by_year.values())}
        for person, by_year in years.items()
    ]
    return {
        "household_id": household_id,
        "as_of": as_of,
        "known_at": known_at,
        "students_assisted": len(members),
        "granted_fen": sum(y["granted_fen"] for y in every_year),
        "waived_fen": sum(y["waived_fen"] for y in every_year),
        "members": members,
    }
