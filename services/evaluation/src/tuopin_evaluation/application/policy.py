"""Policy as versioned data: exit rule sets and the poverty lines, read from reference files
that ship with the service (sourced, correctable)."""

import csv
import json
from datetime import date
from functools import cache
from importlib.resources import files

from tuopin_evaluation.domain.exit_standard import PovertyLines, RuleSet

REFERENCE = files("tuopin_evaluation") / "reference"


@cache
def poverty_lines() -> PovertyLines:
    with (REFERENCE / "poverty_lines.csv").open(encoding="utf-8") as f:
        return PovertyLines({int(r["year"]): int(r["line_yuan"]) for r in csv.DictReader(f)})


@cache
def rule_sets() -> tuple[RuleSet, ...]:
    data = json.loads((REFERENCE / "rule_sets.json").read_text(encoding="utf-8"))
    return tuple(
        RuleSet(
            name=r["name"],
            effective_from=date.fromisoformat(r["effective_from"]),
            criteria=tuple(r["criteria"]),
            compulsory_school_age=(r["compulsory_school_age"][0], r["compulsory_school_age"][1]),
            income_years_above_line=r["income_years_above_line"],
        )
        for r in data["rule_sets"]
    )
