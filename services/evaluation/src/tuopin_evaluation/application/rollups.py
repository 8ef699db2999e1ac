"""Roll-ups over the households projection's tables: the database counts households into
their villages (由户到村), the domain sums villages upwards (由村到乡、由乡到县).

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

Village exit eligibility is judged under the rule set in force on that day, or under any
rule set by name (what-if), on the village's conditions in force that day as known then.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import LAST_DAY, today
from tuopin_contracts.vocabulary import HouseholdStatus as S
from tuopin_evaluation.application import reference
from tuopin_evaluation.application.facts import (
    households,
    income_history,
    incomes,
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
from tuopin_evaluation.domain.exit_standard import RuleSet, VillageExitRules
from tuopin_eventkit.aggregate import NotFound, RuleViolation
from tuopin_eventkit.db import recorded_by

POOR = sorted(str(s) for s in ru.POOR)


class PolicyUnavailable(RuleViolation):
    """No rule set or poverty line applies to what was asked."""


def choose_rules(as_of: date | None, name: str | None) -> RuleSet:
    """The named rule set (what-if), else the one in force on ``as_of`` (default today)."""
    try:
        return reference.rule_set(name) if name else reference.rule_set_in_force(as_of or today())
    except LookupError as exc:
        raise PolicyUnavailable(str(exc)) from None


# --- the household → village step, in the database --------------------------------------


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
            .where(h.village_code.startswith(prefix))
            .group_by(h.village_code, h.status)
        )
    else:
        then = (
            select(
                h.village_code,
                status_on(_day(as_of), known_at).label("status"),
                _size_on(_day(as_of), known_at).label("people"),
            )
            .where(h.village_code.startswith(prefix))
            .subquery()
        )
        query = (
            select(then.c.village_code, then.c.status, func.count(), func.sum(then.c.people))
            .where(then.c.status.is_not(None))  # not yet registered then
            .group_by(then.c.village_code, then.c.status)
        )
    found: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for village, state, count, people in await conn.execute(query):
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
        later.c.status == S.ASSISTING,
        sh.status == S.EXITED,
    )
    query = (
        select(h.village_code, sh.status, sh.year, func.count())
        .select_from(status_history.join(households, h.household_id == sh.household_id))
        .where(h.village_code.startswith(prefix), sh.status.in_([S.EXITED, S.RETURNED]))
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
                v.village_code.startswith(prefix)
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
        .where(v.village_code.startswith(prefix))
        .subquery()
    )
    rows = await conn.execute(select(then).where(then.c.poor.is_not(None)))
    return {r.village_code: dict(r._mapping) for r in rows}


async def _conditions(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, ru.Condition]]:
    """village → its conditions in force on the day: of each, the latest record effective
    by then (of a day, the last recorded), among those recorded by ``known_at``."""
    c = village_conditions.c
    query = select(c.village_code, c.condition, c.value, c.effective_date, c.source).where(
        c.village_code.startswith(prefix), c.effective_date <= _day(as_of)
    )
    if known_at is not None:
        query = query.where(recorded_by(c.recorded_at, known_at))
    held: dict[str, dict[str, ru.Condition]] = defaultdict(dict)
    order = (c.effective_date, c.recorded_at, c.sequence)
    for row in await conn.execute(query.order_by(*order)):
        held[row.village_code][row.condition] = ru.Condition(
            row.value, row.effective_date, row.source
        )
    return held


def _registered(as_of: date | None, known_at: datetime | None) -> Any:
    """The households on the register (poor or exited, not removed), then or now, with
    their village."""
    h = households.c
    # Not yet registered then: no status, which compares as neither equal nor unequal.
    current = as_of is None and known_at is None
    status = h.status if current else status_on(_day(as_of), known_at)
    return select(h.household_id, h.village_code).where(status != S.REMOVED)


async def _reach_by_village(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, dict[str, Any]]:
    """village → what the programmes reached among its registered households by ``as_of``
    (default today: a certificate expires on its own), as recorded by ``known_at``, as
    ``ru.Reach`` fields."""
    on = as_of or today()

    def known(column: Any) -> Any:
        return true() if known_at is None else recorded_by(column, known_at)

    scope = (
        _registered(as_of, known_at).where(households.c.village_code.startswith(prefix)).subquery()
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
) -> list[ru.VillageFigures]:
    """Every village of the region that is registered or has households on the register."""
    prefix = ru.region_prefix(region)
    counted = await _households_by_village(conn, prefix, as_of, known_at)
    moves = await _moves_by_village(conn, prefix, as_of, known_at)
    standing = await _villages(conn, prefix, as_of, known_at)
    reach = await _reach_by_village(conn, prefix, as_of, known_at)
    conditions = await _conditions(conn, prefix, as_of, known_at)
    warned = await open_by_village(conn, prefix, as_of, known_at)
    on_register = {code for code, by_status in counted.items() if set(by_status) - {str(S.REMOVED)}}
    figures = []
    for code in sorted(on_register | set(standing)):
        poor = [counted[code].get(s, (0, 0)) for s in POOR]
        registered = sum(n for s, (n, _) in counted[code].items() if s != S.REMOVED)
        known = standing.get(code)
        figures.append(
            ru.VillageFigures(
                code=code,
                poor_households=sum(n for n, _ in poor),
                poor_people=sum(p for _, p in poor),
                rural_population=None if known is None else known["rural_population"],
                poor_village=None if known is None else known["poor"],
                name=None if known is None else known["name"],
                exits=moves[code][str(S.EXITED)] if code in moves else {},
                returns=moves[code][str(S.RETURNED)] if code in moves else {},
                reach=ru.Reach(registered_households=registered, **reach.get(code, {})),
                conditions=conditions.get(code, {}),
                open_return_warnings=warned.get(code, 0),
                belt_code=None if known is None else known["hardship_belt_code"],
                belt_name=None if known is None else known["hardship_belt"],
            )
        )
    return figures


# --- what the API answers ------------------------------------------------------------------


def _counting_rules(
    as_of: date | None, rules_name: str | None
) -> tuple[RuleSet | None, VillageExitRules | None]:
    """The rule set to count eligible poor villages under: the named one, else the one in
    force (none in force: they are not counted, the rest still is)."""
    try:
        rules = choose_rules(as_of, rules_name)
    except PolicyUnavailable:
        if rules_name:
            raise
        return None, None
    return rules, rules.village_exit


@dataclass(frozen=True)
class Rollups:
    region: str
    level: str
    as_of: date | None
    known_at: datetime | None
    rule_set: str | None
    rows: list[ru.Rollup]


async def rollups(
    conn: AsyncConnection,
    region: str,
    level: str,
    as_of: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> Rollups:
    """The regions of ``level`` inside ``region`` with their figures. Poor villages eligible
    to exit are counted under the named rule set, else the one in force (none: not counted)."""
    ru.check_level(region, level)
    rules, village_rules = _counting_rules(as_of, rules_name)
    figures = await village_figures(conn, region, as_of, known_at)
    rows = ru.roll_up(figures, level, village_rules)
    name = rules.name if rules and village_rules else None
    return Rollups(region, level, as_of, known_at, name, rows)


@dataclass(frozen=True)
class BeltRollups:
    region: str
    as_of: date | None
    known_at: datetime | None
    rule_set: str | None
    rows: list[ru.BeltRollup]
    villages_outside_belts: int


async def belt_rollups(
    conn: AsyncConnection,
    region: str,
    as_of: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> BeltRollups:
    """The villages of ``region`` summed by special-hardship belt (特困片带), on the same
    figures, days and rule sets as the regional roll-ups."""
    rules, village_rules = _counting_rules(as_of, rules_name)
    figures = await village_figures(conn, region, as_of, known_at)
    rows, outside = ru.roll_up_belts(figures, village_rules)
    name = rules.name if rules and village_rules else None
    return BeltRollups(region, as_of, known_at, name, rows, outside)


@dataclass(frozen=True)
class Eligibility:
    village: ru.VillageFigures
    verdict: ru.VillageExit
    rule_set: RuleSet
    as_of: date | None
    known_at: datetime | None


async def village_eligibility(
    conn: AsyncConnection,
    code: str,
    as_of: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> Eligibility:
    rules = choose_rules(as_of, rules_name)
    if rules.village_exit is None:
        raise PolicyUnavailable(f"rule set {rules.name} has no village exit rules")
    found = [v for v in await village_figures(conn, code, as_of, known_at) if v.code == code]
    if not found:
        when = (f" as of {as_of}" if as_of else "") + (
            f" as known at {known_at}" if known_at else ""
        )
        raise NotFound(f"evaluation knows no village {code}{when}")
    verdict = ru.village_exit(found[0], rules.village_exit)
    return Eligibility(found[0], verdict, rules, as_of, known_at)


@dataclass(frozen=True)
class IncomeDistribution:
    region: str
    year: int
    line_fen: int
    poor_only: bool
    known_at: datetime | None
    households: int  # in scope: on the register (or poor), with or without an income
    without_income: int
    bands: list[ru.BandCount]


def _incomes_known_at(known_at: datetime) -> Any:
    """Each household's income per year as known at ``known_at``: its latest recording by
    then (a correction recorded later is not known yet)."""
    ih = income_history.c
    latest = (
        select(ih.household_id, func.max(ih.sequence).label("sequence"))
        .where(recorded_by(ih.recorded_at, known_at))
        .group_by(ih.household_id, ih.year)
        .subquery()
    )
    return (
        select(ih.household_id, ih.year, ih.per_head)
        .join(
            latest,
            and_(ih.household_id == latest.c.household_id, ih.sequence == latest.c.sequence),
        )
        .subquery()
    )


async def income_distribution(
    conn: AsyncConnection,
    region: str,
    year: int | None = None,
    poor_only: bool = False,
    known_at: datetime | None = None,
) -> IncomeDistribution:
    """Households' income per head in the year (default: the latest recorded in the region)
    in bands around that year's poverty line. In scope: households on the register (not
    removed), or only those currently poor — now, or as known at ``known_at`` (statuses and
    incomes recorded by then)."""
    earned = incomes if known_at is None else _incomes_known_at(known_at)
    h, i = households.c, earned.c
    prefix = ru.region_prefix(region)
    status = h.status if known_at is None else status_on(LAST_DAY, known_at)
    scope = and_(
        h.village_code.startswith(prefix),
        status.in_(POOR) if poor_only else status != S.REMOVED,
    )
    if year is None:
        latest = await conn.scalar(
            select(func.max(i.year))
            .select_from(earned.join(households, h.household_id == i.household_id))
            .where(scope)
        )
        if latest is None:
            raise NotFound(f"no income recorded for households in {region}")
        year = int(latest)
    line = reference.poverty_lines().fen(year)
    if line is None:
        raise PolicyUnavailable(f"no poverty line for {year} in the reference table")
    bands = ru.income_bands(line)
    which = case(
        *[(i.per_head <= b.up_to_fen, b.name) for b in bands if b.up_to_fen is not None],
        else_=bands[-1].name,
    ).label("band")
    banded = (
        select(which)
        .select_from(earned.join(households, h.household_id == i.household_id))
        .where(scope, i.year == year)
        .subquery()
    )
    counts = {
        band: int(n)
        for band, n in await conn.execute(
            select(banded.c.band, func.count()).group_by(banded.c.band)
        )
    }
    in_scope = int(
        await conn.scalar(select(func.count()).select_from(households).where(scope)) or 0
    )
    return IncomeDistribution(
        region=region,
        year=year,
        line_fen=line,
        poor_only=poor_only,
        known_at=known_at,
        households=in_scope,
        without_income=in_scope - sum(counts.values()),
        bands=ru.distribution(bands, counts),
    )
