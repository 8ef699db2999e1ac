"""The 2020 goal (item 8(3)): "每个贫困家庭至少有1人取得职业资格证书、掌握1门致富技能".

A household counts as covered on a business day when one of its members (a member since
on or before that day) holds a vocational certificate valid that day (issued on or before
it, not revoked by then, not expired). The households counted are those filed (建档立卡) by
that day and not removed as wrongly identified by then — households that have exited
poverty stay in the goal. With ``known_at``, only what had been recorded by that instant
counts: a certificate issued or a removal recorded later is not yet known (the audit
view). Members who left the registry's households are not kept (not dated yet).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tuopin_contracts.dates import born
from tuopin_contracts.regions import DIGITS
from tuopin_eventkit.db import prefixed, recorded_by
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_training.application.records import (
    academic_certificates,
    certificates,
    enrolments,
    placements,
)
from tuopin_training.application.trainee_households import trainee_households, trainee_members
from tuopin_training.domain.terms import NEW_PROFESSIONAL_FARMERS_PER_YEAR, working_age

h, m, c = trainee_households, trainee_members, certificates


def _until(on: Any, recorded_at: Any, day: date, known_at: datetime | None) -> ColumnElement[bool]:
    """Not (yet) the case on ``day`` as known at ``known_at``: no date, a later one, or
    recorded later."""
    return or_(on.is_(None), on > day, ~recorded_by(recorded_at, known_at))


def valid_on(day: date, known_at: datetime | None = None) -> ColumnElement[bool]:
    return and_(
        c.c.issued_on <= day,
        recorded_by(c.c.issued_at, known_at),
        _until(c.c.revoked_on, c.c.revoked_at, day, known_at),
        or_(c.c.valid_until.is_(None), c.c.valid_until >= day),
    )


def counted(day: date, known_at: datetime | None = None) -> ColumnElement[bool]:
    """The household is in the goal on ``day``: filed by then, not removed by then."""
    return and_(
        h.c.identified_on <= day,
        recorded_by(h.c.identified_at, known_at),
        _until(h.c.removed_on, h.c.removed_at, day, known_at),
    )


def covered(day: date, known_at: datetime | None = None) -> ColumnElement[bool]:
    """The household has a member (since on or before ``day``) with a certificate valid
    on ``day``."""
    return exists(
        select(1)
        .select_from(m.join(c, c.c.id_number_hash == m.c.id_number_hash))
        .where(
            m.c.household_id == h.c.household_id,
            m.c.member_since <= day,
            valid_on(day, known_at),
        )
    )


def share(part: int, whole: int) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _in_region(code: str | None) -> ColumnElement[bool]:
    return prefixed(h.c.village_code, code) if code else true()


async def by_region(
    conn: AsyncConnection,
    level: str,
    code: str | None,
    day: date,
    known_at: datetime | None = None,
) -> dict:
    region = func.substr(h.c.village_code, 1, DIGITS[level]).label("code")
    is_covered = func.coalesce(func.sum(case((covered(day, known_at), 1), else_=0)), 0)
    rows = await conn.execute(
        select(region, func.count().label("households"), is_covered.label("certified"))
        .where(counted(day, known_at), _in_region(code))
        .group_by(region)
        .order_by(region)
    )
    regions = [
        {
            "code": r.code,
            "households": r.households,
            "certified_households": int(r.certified),
            "coverage": share(int(r.certified), r.households),
        }
        for r in rows
    ]
    households = sum(r["households"] for r in regions)
    certified = sum(r["certified_households"] for r in regions)
    return {
        "level": level,
        "within": code,
        "as_of": day,
        "known_at": known_at,
        "households": households,
        "certified_households": certified,
        "coverage": share(certified, households),
        "regions": regions,
    }


async def household(
    conn: AsyncConnection, household_id: str, day: date, known_at: datetime | None = None
) -> dict[str, Any]:
    in_goal = counted(day, known_at).label("in_goal")
    query = select(h, in_goal).where(h.c.household_id == household_id)
    found = (await conn.execute(query)).first()
    if found is None:
        raise NotFound(f"household {household_id} is not registered (未建档立卡)")
    rows = await conn.execute(
        select(
            c.c.id_number_masked,
            c.c.centre_id,
            c.c.number,
            c.c.occupation,
            c.c.occupation_name,
            c.c.level,
            c.c.issued_on,
        )
        .select_from(m.join(c, c.c.id_number_hash == m.c.id_number_hash))
        .where(m.c.household_id == household_id, m.c.member_since <= day, valid_on(day, known_at))
        .order_by(c.c.issued_on)
    )
    held = [dict(r._mapping) for r in rows]
    members = await conn.scalar(select(func.count()).where(m.c.household_id == household_id))
    return {
        **{k: v for k, v in found._mapping.items() if k != "in_goal"},
        "members": members,
        "as_of": day,
        "known_at": known_at,
        "has_certified_member": bool(held) and bool(found.in_goal),
        "certificates": held,
    }


async def work_list(conn: AsyncConnection, code: str, day: date) -> list[dict[str, Any]]:
    """工作清单: households with a working-age member able to work and no certificate yet,
    each with those members — by the registry's person id (training holds no name nor
    masked number of anyone it has not trained) — in village and file order."""
    rows = await conn.execute(
        select(
            h.c.household_id,
            h.c.file_number,
            h.c.village_code,
            h.c.status,
            m.c.person_id,
            m.c.birth_year,
            m.c.birth_month,
            m.c.labour_ability,
        )
        .select_from(h.join(m, m.c.household_id == h.c.household_id))
        .where(counted(day), prefixed(h.c.village_code, code), ~covered(day))
        .order_by(h.c.village_code, h.c.file_number, m.c.birth_year, m.c.birth_month, m.c.person_id)
    )
    listed: dict[str, dict[str, Any]] = {}
    for r in rows:
        birth = born(r.birth_year, r.birth_month)
        if r.labour_ability == "none" or not working_age(birth, day):
            continue
        entry = listed.setdefault(
            r.household_id,
            {
                "household_id": r.household_id,
                "file_number": r.file_number,
                "village_code": r.village_code,
                "status": r.status,
                "working_age_members": [],
            },
        )
        entry["working_age_members"].append(r.person_id)
    return list(listed.values())


def _year(column: Any, year: int) -> ColumnElement[bool]:
    return column.between(date(year, 1, 1), date(year, 12, 31))


async def yearly(conn: AsyncConnection, year: int) -> dict[str, Any]:
    """A year's counts against the seed's targets."""
    e, p = enrolments, placements

    async def by_kind(*where: ColumnElement[bool]) -> dict[str, int]:
        rows = await conn.execute(select(e.c.kind, func.count()).where(*where).group_by(e.c.kind))
        return dict(rows.all())

    enrolled = await by_kind(_year(e.c.enrolled_on, year))
    completed = await by_kind(e.c.stage == "completed", _year(e.c.finished_on, year))
    farmers = completed.get("new_professional_farmer", 0)
    issued = await conn.scalar(select(func.count()).where(_year(c.c.issued_on, year)))
    revoked = await conn.scalar(select(func.count()).where(_year(c.c.revoked_on, year)))
    placed = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(p.c.months_worked), 0),
                func.coalesce(func.sum(case((p.c.outside_province, 1), else_=0)), 0),
            ).where(_year(p.c.start_date, year))
        )
    ).one()
    dual = await conn.scalar(
        select(func.count(func.distinct(c.c.id_number_hash))).where(
            c.c.issued_on <= date(year, 12, 31),
            c.c.id_number_hash.in_(
                select(academic_certificates.c.id_number_hash).where(
                    academic_certificates.c.graduated_on <= date(year, 12, 31)
                )
            ),
        )
    )
    return {
        "year": year,
        "enrolled": enrolled,
        "completed": completed,
        "new_professional_farmers": {
            "trained": farmers,
            "target": NEW_PROFESSIONAL_FARMERS_PER_YEAR,
            "share_of_target": share(farmers, NEW_PROFESSIONAL_FARMERS_PER_YEAR),
        },
        "two_after_school_enrolled": enrolled.get("two_after_school", 0),
        "certificates_issued": issued,
        "certificates_revoked": revoked,
        "dual_certificate_holders": dual,
        "labour_export": {
            "placements": placed[0],
            "outside_province": int(placed[2]),
            "months_worked": int(placed[1]),
        },
    }
