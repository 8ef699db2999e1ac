"""Roll-ups over the households projection's tables: the database counts households into
their villages (由户到村, ``village_figures``), the domain sums villages upwards (由村到乡、
由乡到县), by region level or by special-hardship belt, on the day asked and as known at
the instant asked (see ``village_figures``).

Village exit eligibility is judged under the rule set in force on that day, or under any
rule set by name (what-if), on the village's conditions in force that day as known then.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.dates import today
from tuopin_contracts.regions import check_level
from tuopin_evaluation.application import reference
from tuopin_evaluation.application.answers import answers
from tuopin_evaluation.application.village_figures import village_figures
from tuopin_evaluation.domain import rollup as ru
from tuopin_evaluation.domain.exit_standard import RuleSet, VillageExitRules
from tuopin_evaluation.domain.village_exit import VillageExit, village_exit
from tuopin_evaluation.domain.village_figures import VillageFigures
from tuopin_eventkit.store.aggregate import NotFound, RuleViolation


class PolicyUnavailable(RuleViolation):
    """No rule set or poverty line applies to what was asked."""


def choose_rules(as_of: date | None, name: str | None) -> RuleSet:
    """The named rule set (what-if), else the one in force on ``as_of`` (default today)."""
    try:
        return reference.rule_set(name) if name else reference.rule_set_in_force(as_of or today())
    except LookupError as exc:
        raise PolicyUnavailable(str(exc)) from None


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
    check_level(region, level)
    rules, village_rules = _counting_rules(as_of, rules_name)
    figures = await village_figures(conn, region, as_of, known_at)
    rows = ru.roll_up(figures, level, village_rules)
    name = rules.name if rules and village_rules else None
    return Rollups(region, level, as_of, known_at, name, rows)


async def kept_rollups(
    engine: AsyncEngine,
    region: str,
    level: str,
    as_of: date | None = None,
    rules_name: str | None = None,
    known_at: datetime | None = None,
) -> Rollups:
    """``rollups``, counted once while the read model stands still (``answers``): for every
    request that asks the same — the dashboard's trends, year end by year end, and the
    targets' yearly reduction ask the same year ends of the same region."""
    return await answers(engine).get(
        ("rollups", region, level, as_of, rules_name, known_at),
        lambda conn: rollups(conn, region, level, as_of, rules_name, known_at),
    )


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
    village: VillageFigures
    verdict: VillageExit
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
    verdict = village_exit(found[0], rules.village_exit)
    return Eligibility(found[0], verdict, rules, as_of, known_at)
