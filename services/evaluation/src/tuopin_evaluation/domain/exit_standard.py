"""The household exit standard (贫困户退出标准): income per head stably above the year's
poverty line, and 两不愁三保障 — compulsory-age children in school, basic medical
insurance for every member, safe housing, safe drinking water.

Pure: facts, a rule set and the poverty lines in; every criterion with its value,
threshold and verdict out. The rule set and the lines are data, chosen by date.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tuopin_contracts.dates import age_on
from tuopin_contracts.events.evaluation import Criterion

# Schooling states that count as attending compulsory education (义务教育).
IN_SCHOOL = frozenset(
    {"preschool", "primary", "junior_secondary", "senior_secondary", "vocational"}
)


@dataclass(frozen=True)
class NamedCriterion:
    """A criterion a rule set names, with what it means (for reports and reasons)."""

    name: str
    description: str
    minimum: Decimal | None = None  # a figure's least passing value; None: a yes/no


@dataclass(frozen=True)
class VillageExitRules:
    """贫困村退出: poverty incidence at most ``max_incidence`` (a fraction, bound included),
    weighed together with infrastructure and basic services (``criteria``)."""

    max_incidence: Decimal
    criteria: tuple[NamedCriterion, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class CountyDelistingRules:
    """贫困县摘帽: failing any one of the four blocks delisting."""

    max_incidence: Decimal
    max_wrong_exit_rate: Decimal
    max_missed_identification_rate: Decimal
    min_approval_rate: Decimal
    # 低于: the incidence and error-rate bounds themselves fail (the 2017 delisting rules).
    strict_maxima: bool = False
    source: str = ""


@dataclass(frozen=True)
class RuleSet:
    """One effective-dated rule set. The household exit section is kept flat (``criteria``,
    ``compulsory_school_age``, ``income_years_above_line``: what :func:`verify` reads); the
    village and county sections sit beside it. A ``what_if_only`` set is never in force by
    date; it exists to recompute verdicts under it by name."""

    name: str
    effective_from: date
    criteria: tuple[str, ...]
    compulsory_school_age: tuple[int, int]
    income_years_above_line: int
    village_exit: VillageExitRules | None = None
    county_delisting: CountyDelistingRules | None = None
    what_if_only: bool = False
    source: str = ""


@dataclass(frozen=True)
class PovertyLines:
    """Yuan per head per year, by year (current prices)."""

    yuan: dict[int, int]

    def fen(self, year: int) -> int | None:
        return self.yuan[year] * 100 if year in self.yuan else None


@dataclass(frozen=True)
class Person:
    birth_date: date | None
    schooling: str | None
    medical_insurance: bool


@dataclass(frozen=True)
class HouseholdFacts:
    members: tuple[Person, ...]
    income_per_head: dict[int, int]  # year → fen
    housing_safe: bool | None
    drinking_water_safe: bool | None


def rule_set_on(rule_sets: list[RuleSet], day: date) -> RuleSet:
    """The rule set in force on ``day``: the latest one effective by then."""
    in_force = [r for r in rule_sets if not r.what_if_only and r.effective_from <= day]
    if not in_force:
        raise LookupError(f"no exit rule set in force on {day}")
    return max(in_force, key=lambda r: r.effective_from)


def rule_set_named(rule_sets: list[RuleSet], name: str) -> RuleSet:
    """A rule set by name, in force or not (what-if)."""
    for rules in rule_sets:
        if rules.name == name:
            return rules
    known = ", ".join(r.name for r in rule_sets)
    raise LookupError(f"no rule set named {name!r} (known: {known})")


def verify(
    facts: HouseholdFacts, on: date, year: int, rules: RuleSet, lines: PovertyLines
) -> list[Criterion]:
    """Judge a proposed exit on ``on`` against the income of ``year`` (the assessed year)."""
    checks = {
        "income_per_head": lambda: _income(facts, year, rules, lines),
        "compulsory_education": lambda: _schooling(facts, on, rules),
        "medical_insurance": lambda: _insured(facts),
        "housing_safe": lambda: _flag("housing_safe", facts.housing_safe),
        "drinking_water_safe": lambda: _flag("drinking_water_safe", facts.drinking_water_safe),
    }
    return [checks[name]() for name in rules.criteria]


def _income(facts: HouseholdFacts, year: int, rules: RuleSet, lines: PovertyLines) -> Criterion:
    years = range(year - rules.income_years_above_line + 1, year + 1)
    shortfalls = []
    for y in years:
        line, income = lines.fen(y), facts.income_per_head.get(y)
        if line is None or income is None or income <= line:
            shortfalls.append(y)
    line = lines.fen(year)
    income = facts.income_per_head.get(year)
    return Criterion(
        name="income_per_head",
        value="not recorded" if income is None else _yuan(income),
        threshold=None if line is None else f"> {_yuan(line)} ({year})",
        passed=not shortfalls,
    )


def _schooling(facts: HouseholdFacts, on: date, rules: RuleSet) -> Criterion:
    low, high = rules.compulsory_school_age
    children = [
        p for p in facts.members if p.birth_date and low <= age_on(p.birth_date, on) <= high
    ]
    out = [p for p in children if p.schooling not in IN_SCHOOL]
    return Criterion(
        name="compulsory_education",
        value=f"{len(children) - len(out)} of {len(children)} children aged {low}-{high} in school",
        threshold="all",
        passed=not out,
    )


def _insured(facts: HouseholdFacts) -> Criterion:
    insured = sum(p.medical_insurance for p in facts.members)
    return Criterion(
        name="medical_insurance",
        value=f"{insured} of {len(facts.members)} members insured",
        threshold="all",
        passed=insured == len(facts.members),
    )


def _flag(name: str, value: bool | None) -> Criterion:
    shown = "not assessed" if value is None else str(value).lower()
    return Criterion(name=name, value=shown, threshold="true", passed=value is True)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
