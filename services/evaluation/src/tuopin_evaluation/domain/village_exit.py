"""Village exit (贫困村退出): a poor village may exit when its poverty incidence is at most
the rule's bound and every infrastructure and services criterion passes on the conditions
in force; each criterion says what it was judged on, and why it failed or could not be
assessed. Pure: standard library and the exit standard only.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tuopin_evaluation.domain.exit_standard import NamedCriterion, VillageExitRules
from tuopin_evaluation.domain.village_figures import Condition, VillageFigures, incidence, ratio


@dataclass(frozen=True)
class Check:
    """One criterion of an eligibility: ``passed`` is None when it could not be assessed."""

    name: str
    description: str
    value: str
    threshold: str | None
    passed: bool | None
    reason: str | None = None

    @property
    def status(self) -> str:
        return {True: "passed", False: "failed", None: "not_assessed"}[self.passed]


@dataclass(frozen=True)
class VillageExit:
    village_code: str
    eligible: bool
    incidence: Decimal | None
    criteria: tuple[Check, ...]

    @property
    def reasons(self) -> list[str]:
        """Why it is not eligible, and what was not assessed."""
        return [c.reason for c in self.criteria if c.passed is not True and c.reason]

    @property
    def not_assessed(self) -> list[str]:
        return [c.name for c in self.criteria if c.passed is None]


POOR_VILLAGE = "a registered poor village (贫困村)"
INCIDENCE = "poor people / registered rural population"


def village_exit(v: VillageFigures, rules: VillageExitRules) -> VillageExit:
    """A village may exit when it is a poor village whose poverty incidence is at most the
    rule's bound and every infrastructure and services criterion passes on the conditions
    in force: one without a record is not assessed, and an exit cannot rest on it."""
    if v.poor_village is None:
        poor = Check(
            "poor_village", POOR_VILLAGE, "not registered", "true", None, "village not registered"
        )
    elif v.poor_village:
        poor = Check("poor_village", POOR_VILLAGE, "true", "true", True)
    else:
        poor = Check(
            "poor_village",
            POOR_VILLAGE,
            "false",
            "true",
            False,
            "not a registered poor village: it has nothing to exit",
        )
    bound = f"<= {rules.max_incidence}"
    rate: Decimal | None = None
    if not v.rural_population:
        missing = "registered rural population is zero"
        if v.rural_population is None:
            missing = "rural population not registered"
        share = Check("poverty_incidence", INCIDENCE, "not computable", bound, None, missing)
    else:
        rate = incidence(v.poor_people, v.rural_population)
        value = f"{rate} ({v.poor_people} / {v.rural_population})"
        if rate <= rules.max_incidence:
            share = Check("poverty_incidence", INCIDENCE, value, bound, True)
        else:
            share = Check(
                "poverty_incidence",
                INCIDENCE,
                value,
                bound,
                False,
                f"poverty incidence {rate} is above {rules.max_incidence}",
            )
    criteria = (poor, share, *(_condition(c, v.conditions) for c in rules.criteria))
    eligible = all(c.passed is True for c in criteria)
    return VillageExit(v.code, eligible, rate, criteria)


HOUSING = ("dangerous_houses_renovated", "dangerous_houses")


def _condition(criterion: NamedCriterion, held: Mapping[str, Condition]) -> Check:
    """A criterion judged on the condition of its name in force (housing: renovated ÷
    dangerous houses). A yes/no passes on yes; a figure when it reaches the minimum."""
    name, least = criterion.name, criterion.minimum
    needed = HOUSING if name == "housing_safety" else (name,)
    threshold = "yes" if least is None else f">= {least}"
    if any(n not in held for n in needed):
        return Check(
            name,
            criterion.description,
            "not assessed",
            threshold,
            None,
            f"{name} not assessed: no record of it in force",
        )
    recorded = [held[n] for n in needed]
    if name == "housing_safety":
        renovated, dangerous = (c.value for c in recorded)
        passed = renovated >= (1 if least is None else least) * dangerous
        coverage = (
            ratio(renovated, dangerous) if dangerous else Decimal("1.0000")
        )  # none to renovate
        shown = f"{coverage} ({renovated} / {dangerous})"
    elif least is None:
        passed, shown = recorded[0].value == 1, "yes" if recorded[0].value == 1 else "no"
    else:
        passed, shown = recorded[0].value >= least, str(recorded[0].value)
    latest = max(recorded, key=lambda c: c.effective_date)
    value = f"{shown} from {latest.effective_date} ({latest.source})"
    reason = None if passed else f"{name} fails: {shown}, needs {threshold} ({latest.source})"
    return Check(name, criterion.description, value, threshold, passed, reason)
