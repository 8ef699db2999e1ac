"""The household → village step of the roll-ups (由户到村), in the database: each village's
poor households and people, standing, exits and returns, conditions, open return
warnings and what the programmes reached, counted over the households projection's and
the reach projection's tables.

"As of" a day counts each household under the status in force then (its latest status
effective by that day, in its stream's order), with the members it had then, each village
under the standing (poor or not, rural population) in force then, and the exits and
returns effective by then. Without a day, the current state is counted.

"Known at" an instant counts only the facts recorded by then (the audit view): the same
day's figures as the books stood at that instant, before later back-dated facts and
corrections arrived. Without a day, everything recorded by then counts, whatever its
business date.

What the loans and training programmes reached is counted per village over the registered
poor households (on the register then, not removed) from the reach projection's tables:
a loan counts from its disbursement day, a certificate while valid (issued, not revoked,
not expired), a training from its completion, education assistance from its decision —
on the day asked, or today.
"""

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import LAST_DAY, today
from tuopin_contracts.regions import region_prefix
from tuopin_contracts.vocabulary import HouseholdStatus
from tuopin_evaluation.application.facts import (
    households,
    member_on,
    members,
    status_history,
    village_conditions,
    village_standing,
    villages,
)
from tuopin_evaluation.application.reach import (
    certificates,
    completions,
    disbursements,
    education_assistance,
)
from tuopin_evaluation.application.return_watch import open_by_village
from tuopin_evaluation.domain import rollup as ru
from tuopin_evaluation.domain.village_figures import Condition, Reach, VillageFigures
from tuopin_eventkit.db import prefixed, recorded_by

POOR = sorted(str(s) for s in ru.POOR)


def _day(as_of: date | None) -> date:
    """The business date counted on from the histories: without one (but with an instant),
    every fact recorded, whatever day it takes effect — the current state as then known."""
    return as_of or LAST_DAY


def status_on(on: date, known_at: datetime | None) -> Any:
    """A household's status in force on ``on``: its latest one effective by then, among
    those recorded by ``known_at`` (a correlated subquery, read along the history's primary
    key)."""
    h, sh = households.c, status_history.c
    query = select(sh.status).where(sh.household_id == h.household_id, sh.effective_date <= on)
    if known_at is not None:
        query = query.where(recorded_by(sh.recorded_at, known_at))
    return query.order_by(sh.sequence.desc()).limit(1).scalar_subquery()


def _size_on(on: date, known_at: datetime | None) -> Any:
    """A household's members on ``on``, as recorded by ``known_at``."""
    h, m = households.c, members.c
    return (
        select(func.count())
        .where(m.household_id == h.household_id, member_on(on, known_at))
        .scalar_subquery()
    )


async def _households_by_village(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, tuple[int, int]]]:
    """village → status → (households, people), counted in the database."""
    h = households.c
    if as_of is None and known_at is None:
        query = (
            select(h.village_code, h.status, func.count(), func.sum(h.size))
            .where(prefixed(h.village_code, prefix))
            .group_by(h.village_code, h.status)
        )
    else:
        then = (
            select(
                h.village_code,
                status_on(_day(as_of), known_at).label("status"),
                _size_on(_day(as_of), known_at).label("people"),
            )
            .where(prefixed(h.village_code, prefix))
            .subquery()
        )
        # Households not yet registered then (no status) are grouped, and dropped below,
        # not filtered out here: PostgreSQL would look each one's status up twice, once
        # for the filter, a third of this query's time.
        query = select(
            then.c.village_code, then.c.status, func.count(), func.sum(then.c.people)
        ).group_by(then.c.village_code, then.c.status)
    found: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for village, state, count, people in await conn.execute(query):
        if state is not None:
            found[village][state] = (int(count), int(people or 0))
    return found


async def _moves_by_village(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, dict[int, int]]]:
    """village → "exited" / "returned" → year → households. An exit annulled as a mistake
    (assisted again from the exit's own day, ``exit_annulled``) never counted."""
    h, sh = households.c, status_history.c
    later = status_history.alias("later")
    annulled = select(later.c.sequence).where(
        later.c.household_id == sh.household_id,
        later.c.sequence > sh.sequence,
        later.c.effective_date == sh.effective_date,
        later.c.status == HouseholdStatus.ASSISTING,
        sh.status == HouseholdStatus.EXITED,
    )
    query = (
        select(h.village_code, sh.status, sh.year, func.count())
        .select_from(status_history.join(households, h.household_id == sh.household_id))
        .where(
            prefixed(h.village_code, prefix),
            sh.status.in_([HouseholdStatus.EXITED, HouseholdStatus.RETURNED]),
        )
        .group_by(h.village_code, sh.status, sh.year)
    )
    if as_of is not None:
        query = query.where(sh.effective_date <= as_of)
    if known_at is not None:
        query = query.where(recorded_by(sh.recorded_at, known_at))
        annulled = annulled.where(recorded_by(later.c.recorded_at, known_at))
    query = query.where(~annulled.exists())
    found: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for village, state, year, count in await conn.execute(query):
        found[village][state][int(year)] = int(count)
    return found


async def _villages(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, Any]]:
    """village → its registered standing (name, poor, rural population), as of a day and
    as known at an instant, and its hardship belt (as registered: it does not change)."""
    v = villages.c
    belt = (v.hardship_belt_code, v.hardship_belt)
    if as_of is None and known_at is None:
        rows = await conn.execute(
            select(v.village_code, v.name, v.poor, v.rural_population, *belt).where(
                prefixed(v.village_code, prefix)
            )
        )
        return {r.village_code: dict(r._mapping) for r in rows}
    vs = village_standing.c

    def latest(column: Any) -> Any:
        query = select(column).where(
            vs.village_code == v.village_code, vs.effective_date <= _day(as_of)
        )
        if known_at is not None:
            query = query.where(recorded_by(vs.recorded_at, known_at))
        return query.order_by(vs.sequence.desc()).limit(1).scalar_subquery()

    then = (
        select(
            v.village_code,
            v.name,
            latest(vs.poor).label("poor"),
            latest(vs.rural_population).label("rural_population"),
            *belt,
        )
        .where(prefixed(v.village_code, prefix))
        .subquery()
    )
    # Not yet registered then: dropped here, not filtered in the query (which would look
    # each village's standing up again, as ``_households_by_village`` says).
    rows = await conn.execute(select(then))
    return {r.village_code: dict(r._mapping) for r in rows if r.poor is not None}


async def _conditions(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, Condition]]:
    """village → its conditions in force on the day: of each, the latest record effective
    by then (of a day, the last recorded), among those recorded by ``known_at``."""
    c = village_conditions.c
    query = select(c.village_code, c.condition, c.value, c.effective_date, c.source).where(
        prefixed(c.village_code, prefix), c.effective_date <= _day(as_of)
    )
    if known_at is not None:
        query = query.where(recorded_by(c.recorded_at, known_at))
    held: dict[str, dict[str, Condition]] = defaultdict(dict)
    order = (c.effective_date, c.recorded_at, c.sequence)
    for row in await conn.execute(query.order_by(*order)):
        held[row.village_code][row.condition] = Condition(row.value, row.effective_date, row.source)
    return held


def _registered(as_of: date | None, known_at: datetime | None) -> Any:
    """The households on the register (poor or exited, not removed), then or now, with
    their village."""
    h = households.c
    # Not yet registered then: no status, which compares as neither equal nor unequal.
    current = as_of is None and known_at is None
    status = h.status if current else status_on(_day(as_of), known_at)
    return select(h.household_id, h.village_code).where(status != HouseholdStatus.REMOVED)


async def _reach_by_village(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, Any]]:
    """village → what the programmes reached among its registered households by ``as_of``
    (default today: a certificate expires on its own), as recorded by ``known_at``, as
    ``Reach`` fields."""
    on = as_of or today()

    def known(column: Any) -> Any:
        return true() if known_at is None else recorded_by(column, known_at)

    scope = (
        _registered(as_of, known_at).where(prefixed(households.c.village_code, prefix)).subquery()
    )

    async def per_village(table: Any, where: Any, *figures: Any, by: Any = None) -> list[Any]:
        keys = [scope.c.village_code, *([] if by is None else [by])]
        return list(
            await conn.execute(
                select(*keys, *figures)
                .select_from(table.join(scope, scope.c.household_id == table.c.household_id))
                .where(where)
                .group_by(*keys)
            )
        )

    d, c, t = disbursements.c, certificates.c, completions.c
    reached: dict[str, dict[str, Any]] = defaultdict(dict)
    credit = and_(d.disbursed_on <= on, known(d.recorded_at))
    borrowers = func.count(d.household_id.distinct())
    for code, n, fen in await per_village(disbursements, credit, borrowers, func.sum(d.amount)):
        reached[code].update(credit_households=int(n), credit_disbursed_fen=int(fen))
    for code, product, n in await per_village(disbursements, credit, borrowers, by=d.product):
        reached[code].setdefault("credit_households_by_product", {})[product] = int(n)
    valid = and_(
        c.issued_on <= on,
        known(c.issued_recorded_at),
        # A revocation recorded after ``known_at`` had not happened yet.
        or_(c.revoked_on.is_(None), c.revoked_on > on, ~known(c.revoked_recorded_at)),
        or_(c.valid_until.is_(None), c.valid_until >= on),
    )
    for code, n in await per_village(certificates, valid, func.count(c.household_id.distinct())):
        reached[code]["certified_households"] = int(n)
    # A person once per household, however many trainings they completed.
    people = (
        select(t.household_id, t.id_number_hash)
        .where(t.completed_on <= on, known(t.recorded_at))
        .distinct()
    )
    for code, n in await per_village(people.subquery(), true(), func.count()):
        reached[code]["people_trained"] = int(n)
    # Education assistance decided by then: a student once per household, every year's
    # grants and waivers summed.
    a = education_assistance.c
    decided = and_(a.decided_on <= on, known(a.recorded_at))
    students = func.count(func.distinct(a.household_id + ":" + a.id_number_hash))
    granted = func.sum(case((a.kind == "grant", a.amount_fen), else_=0))
    waived = func.sum(case((a.kind != "grant", a.amount_fen), else_=0))
    for code, n, grant, waiver in await per_village(
        education_assistance, decided, students, granted, waived
    ):
        reached[code].update(
            students_assisted=int(n),
            education_granted_fen=int(grant),
            education_waived_fen=int(waiver),
        )
    return reached


async def village_figures(
    conn: AsyncConnection,
    region: str,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> list[VillageFigures]:
    """Every village of the region that is registered or has households on the register."""
    prefix = region_prefix(region)
    counted = await _households_by_village(conn, prefix, as_of, known_at)
    moves = await _moves_by_village(conn, prefix, as_of, known_at)
    standing = await _villages(conn, prefix, as_of, known_at)
    reach = await _reach_by_village(conn, prefix, as_of, known_at)
    conditions = await _conditions(conn, prefix, as_of, known_at)
    warned = await open_by_village(conn, prefix, as_of, known_at)
    on_register = {
        code
        for code, by_status in counted.items()
        if set(by_status) - {str(HouseholdStatus.REMOVED)}
    }
    figures = []
    for code in sorted(on_register | set(standing)):
        poor = [counted[code].get(s, (0, 0)) for s in POOR]
        registered = sum(n for s, (n, _) in counted[code].items() if s != HouseholdStatus.REMOVED)
        known = standing.get(code)
        figures.append(
            VillageFigures(
                code=code,
                poor_households=sum(n for n, _ in poor),
                poor_people=sum(p for _, p in poor),
                rural_population=None if known is None else known["rural_population"],
                poor_village=None if known is None else known["poor"],
                name=None if known is None else known["name"],
                exits=moves[code][str(HouseholdStatus.EXITED)] if code in moves else {},
                returns=moves[code][str(HouseholdStatus.RETURNED)] if code in moves else {},
                reach=Reach(registered_households=registered, **reach.get(code, {})),
                conditions=conditions.get(code, {}),
                open_return_warnings=warned.get(code, 0),
                belt_code=None if known is None else known["hardship_belt_code"],
                belt_name=None if known is None else known["hardship_belt"],
            )
        )
    return figures
