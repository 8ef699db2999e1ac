"""Policy as versioned data: the rule sets (household exit, village exit, county delisting)
and the poverty lines, read from reference files that ship with the service (sourced,
correctable). Thresholds are decimal strings in the file and ``Decimal`` here, never float:
a threshold written as a JSON number fails loudly when the file is loaded."""

import csv
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from typing import Any

from tuopin_evaluation.domain.exit_standard import (
    CountyDelistingRules,
    NamedCriterion,
    PovertyLines,
    RuleSet,
    VillageExitRules,
    rule_set_named,
    rule_set_on,
)

REFERENCE = files("tuopin_evaluation") / "reference"


@cache
def poverty_lines() -> PovertyLines:
    with (REFERENCE / "poverty_lines.csv").open(encoding="utf-8") as f:
        return PovertyLines({int(r["year"]): int(r["line_yuan"]) for r in csv.DictReader(f)})


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    data = json.loads((REFERENCE / "rule_sets.json").read_text(encoding="utf-8"))
    return tuple(parse_rule_set(r) for r in data["rule_sets"])


def rule_set_in_force(day: date) -> RuleSet:
    """The rule set in force on ``day`` (LookupError when none is)."""
    return rule_set_on(list(rule_sets()), day)


def rule_set(name: str) -> RuleSet:
    """A rule set by name, for what-if recomputation (LookupError when unknown)."""
    return rule_set_named(list(rule_sets()), name)


def parse_rule_set(r: dict[str, Any]) -> RuleSet:
    household = r["household_exit"]
    low, high = household["compulsory_school_age"]
    return RuleSet(
        name=r["name"],
        effective_from=date.fromisoformat(r["effective_from"]),
        criteria=tuple(household["criteria"]),
        compulsory_school_age=(low, high),
        income_years_above_line=household["income_years_above_line"],
        village_exit=_village(r["village_exit"]) if "village_exit" in r else None,
        county_delisting=_county(r["county_delisting"]) if "county_delisting" in r else None,
        what_if_only=bool(r.get("what_if_only", False)),
        source=r.get("source", ""),
    )


def _village(section: dict[str, Any]) -> VillageExitRules:
    return VillageExitRules(
        max_incidence=_fraction(section, "max_incidence"),
        criteria=tuple(
            NamedCriterion(c["name"], c["description"], _minimum(c) if "minimum" in c else None)
            for c in section["criteria"]
        ),
        source=section.get("source", ""),
    )


def _county(section: dict[str, Any]) -> CountyDelistingRules:
    return CountyDelistingRules(
        max_incidence=_fraction(section, "max_incidence"),
        max_wrong_exit_rate=_fraction(section, "max_wrong_exit_rate"),
        max_missed_identification_rate=_fraction(section, "max_missed_identification_rate"),
        min_approval_rate=_fraction(section, "min_approval_rate"),
        strict_maxima=bool(section.get("strict_maxima", False)),
        source=section.get("source", ""),
    )


def _minimum(criterion: dict[str, Any]) -> Decimal:
    """A criterion's least passing figure: a decimal string, not negative (a sum in fen, a
    coverage as a fraction)."""
    raw = criterion["minimum"]
    value = _decimal(raw, "minimum", "1")
    if not value.is_finite() or value < 0:
        raise ValueError(f"minimum: {raw} is not a figure of zero or more")
    return value


def _fraction(section: dict[str, Any], key: str) -> Decimal:
    """A threshold: a decimal string for a fraction between 0 and 1."""
    raw = section[key]
    value = _decimal(raw, key, "0.03")
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValueError(f"{key}: {raw} is not a fraction between 0 and 1")
    return value


def _decimal(raw: Any, key: str, example: str) -> Decimal:
    """A figure the file gives as a decimal string (a number would be read as a float)."""
    if not isinstance(raw, str):
        raise ValueError(f'{key} must be a decimal string such as "{example}", not {raw!r}')
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{key}: {raw!r} is not a decimal") from None
