"""Questions offices and leaders ask of the register, answered from the read models."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.regions import DIGITS, region_prefix
from tuopin_contracts.vocabulary import HouseholdStatus
from tuopin_eventkit.db import by_key, prefixed
from tuopin_eventkit.security.identity import mask_name
from tuopin_registry.application import people
from tuopin_registry.application.household_index import household_members, households
from tuopin_registry.application.sealing import PeopleKey
from tuopin_registry.application.village_index import villages

# Households still in the programme: 不脱贫不脱钩 applies to them.
IN_PROGRAMME = [
    HouseholdStatus.IDENTIFIED,
    HouseholdStatus.ASSISTING,
    HouseholdStatus.EXIT_PROPOSED,
    HouseholdStatus.EXIT_PUBLICISED,
    HouseholdStatus.RETURNED,
]


@dataclass(frozen=True)
class HouseholdFilter:
    region: str | None = None
    status: str | None = None
    cause: str | None = None
    attribute: str | None = None
    cadre: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        h = households.c
        if self.region:
            query = query.where(prefixed(h.village_code, region_prefix(self.region)))
        if self.status:
            query = query.where(h.status == self.status)
        if self.cause:
            query = query.where(h.causes.contains(f",{self.cause},", autoescape=True))
        if self.attribute:
            query = query.where(h.poverty_attribute == self.attribute)
        if self.cadre:
            query = query.where(h.cadre_name == self.cadre)
        return query


async def list_households(
    conn: AsyncConnection, where: HouseholdFilter, limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    """A page of households in a stable order (village, file number), and the total."""
    total = await conn.scalar(where.apply(select(func.count()).select_from(households)))
    rows = await conn.execute(
        where.apply(select(households))
        .order_by(households.c.village_code, households.c.file_number, households.c.household_id)
        .limit(limit)
        .offset(offset)
    )
    return int(total or 0), [dict(r._mapping) for r in rows]


async def summary(conn: AsyncConnection, region: str, level: str) -> list[dict[str, Any]]:
    """Households and people by status, for each region of ``level`` inside ``region``."""
    digits = DIGITS[level]
    code = func.substr(households.c.village_code, 1, digits).label("code")
    rows = await conn.execute(
        select(code, households.c.status, func.count(), func.sum(households.c.size))
        .where(prefixed(households.c.village_code, region_prefix(region)))
        .group_by(code, households.c.status)
        .order_by(code)
    )
    counts: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = counts.setdefault(
            row.code, {"region": row.code, "households": 0, "people": 0, "by_status": {}}
        )
        entry["households"] += row[2]
        entry["people"] += int(row[3])
        entry["by_status"][row.status] = {"households": row[2], "people": int(row[3])}
    return list(counts.values())


async def public_notice(
    conn: AsyncConnection, vault: PeopleKey, village_code: str
) -> dict[str, list[Any]]:
    """公告公示 for a village: newly identified households and exits on notice, with the
    head's name partly masked (opened from the sealed details for the notice alone) and
    the identity number wholly."""
    m = household_members.c
    rows = (
        await conn.execute(
            select(households, m.person_id, m.sealed)
            .join(household_members, m.household_id == households.c.household_id)
            .where(m.relation == "head")
            .where(households.c.village_code == village_code)
            .where(
                households.c.status.in_(
                    [HouseholdStatus.IDENTIFIED, HouseholdStatus.EXIT_PUBLICISED]
                )
            )
            .order_by(households.c.file_number)
        )
    ).all()
    keys = await people.person_keys(conn, vault, [r.person_id for r in rows])
    notice: dict[str, list[Any]] = {"identified": [], "exit_publicised": []}
    for r in rows:
        head = people.details(keys, r.person_id, r.sealed)
        entry = {
            "file_number": r.file_number,
            "head_name": mask_name(head.get("name") or ""),
            # Always masked, every digit: with the birth month and county the topic carries,
            # even the last four would leave the number to a handful of guesses.
            "head_id_number": "*" * 18,
            "size": r.size,
            "poverty_attribute": r.poverty_attribute,
            "primary_cause": r.primary_cause,
        }
        if r.status == HouseholdStatus.EXIT_PUBLICISED:
            entry |= {"notice_from": r.notice_from, "notice_until": r.notice_until}
        notice[r.status].append(entry)
    return notice


async def without_responsible(conn: AsyncConnection, region: str) -> dict[str, list[Any]]:
    """不脱贫不脱钩: households in the programme and poor villages that nobody answers for."""
    prefix = region_prefix(region)
    h, v = households.c, villages.c
    lonely_households = await conn.execute(
        select(h.household_id, h.file_number, h.village_code, h.status)
        .where(prefixed(h.village_code, prefix))
        .where(h.status.in_(IN_PROGRAMME))
        .where((h.cadre_name.is_(None)) | (h.cadre_unit.is_(None)))
        .order_by(h.village_code, h.file_number)
    )
    lonely_villages = await conn.execute(
        select(v.village_code, v.name)
        .where(prefixed(v.village_code, prefix))
        .where(v.poor)
        .where((v.first_secretary.is_(None)) | (v.responsible_unit.is_(None)))
        .order_by(v.village_code)
    )
    return {
        "households": [dict(r._mapping) for r in lonely_households],
        "villages": [dict(r._mapping) for r in lonely_villages],
    }


async def village(conn: AsyncConnection, village_code: str) -> dict[str, Any] | None:
    return await by_key(conn, villages, village_code=village_code)


async def list_villages(
    conn: AsyncConnection, region: str, belt: str | None, poor: bool | None
) -> list[dict[str, Any]]:
    """Villages of a region, of a special-hardship belt (特困片带), poor or not."""
    query = select(villages).where(prefixed(villages.c.village_code, region_prefix(region)))
    if belt is not None:
        v = villages.c  # a code, or a name as legacy events carry it
        query = query.where(or_(v.hardship_belt_code == belt, v.hardship_belt == belt))
    if poor is not None:
        query = query.where(villages.c.poor == poor)
    rows = await conn.execute(query.order_by(villages.c.village_code))
    return [dict(r._mapping) for r in rows]
