"""County delisting (贫困县摘帽): comprehensive poverty incidence, and the third-party
assessment's wrong-exit rate, missed-identification rate and public approval — failing
any one blocks. Pure: figures and thresholds in, every test with its value out."""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tuopin_contracts.events import evaluation as ev
from tuopin_contracts.events.evaluation import Criterion
from tuopin_evaluation.domain.assessment import Rate, Results
from tuopin_evaluation.domain.exit_standard import CountyDelistingRules
from tuopin_eventkit.store.aggregate import Aggregate


@dataclass(frozen=True)
class Assessed:
    """The county's latest published third-party assessment."""

    assessment_id: str
    year: int
    results: Results


def delisting(
    incidence: Decimal | None,
    incidence_note: str | None,
    assessed: Assessed | None,
    rules: CountyDelistingRules,
) -> list[Criterion]:
    below = "<" if rules.strict_maxima else "≤"
    within: Callable[[Decimal, Decimal], bool] = operator.lt if rules.strict_maxima else operator.le
    criteria = [
        Criterion(
            name="comprehensive_incidence",
            value=str(incidence) if incidence is not None else f"unknown: {incidence_note}",
            threshold=f"{below} {rules.max_incidence}",
            passed=incidence is not None and within(incidence, rules.max_incidence),
        )
    ]
    if assessed is None:
        missing = "no third-party assessment published"
        names = ("wrong_exit_rate", "missed_identification_rate", "approval_rate")
        unmet = (Criterion(name=n, value=missing, threshold=None, passed=False) for n in names)
        return [*criteria, *unmet]
    r = assessed.results
    return [
        *criteria,
        # With no exited household in the sample nobody can have been wrongly exited.
        _rate(
            "wrong_exit_rate",
            r.wrong_exit,
            f"{below} {rules.max_wrong_exit_rate}",
            lambda v: within(v, rules.max_wrong_exit_rate),
            undefined_passes=True,
        ),
        # Without a survey of non-registered people, missed poor cannot be ruled out.
        _rate(
            "missed_identification_rate",
            r.missed_identification,
            f"{below} {rules.max_missed_identification_rate}",
            lambda v: within(v, rules.max_missed_identification_rate),
            undefined_passes=False,
        ),
        _rate(
            "approval_rate",
            r.approval,
            f"≥ {rules.min_approval_rate}",
            lambda v: v >= rules.min_approval_rate,
            undefined_passes=False,
        ),
    ]


def _rate(
    name: str, rate: Rate, threshold: str, ok: Callable[[Decimal], bool], undefined_passes: bool
) -> Criterion:
    if rate.undefined:
        value, passed = f"{rate.value} (nothing to measure)", undefined_passes
    else:
        value, passed = f"{rate.value} ({rate.numerator}/{rate.denominator})", ok(rate.value)
    return Criterion(name=name, value=value, threshold=threshold, passed=passed)


class CountyStanding(Aggregate):
    """The record of a county's standings, each published as it is assessed: the contract's
    event itself, as every other aggregate records it."""

    def assess(self, on: date, criteria: list[Criterion]) -> None:
        self.record(
            ev.CountyStatusAssessedV1(
                county_code=self.id.removeprefix("county-"),
                assessed_on=on,
                eligible=all(c.passed for c in criteria),
                criteria=criteria,
            )
        )

    def apply(self, event: Any) -> None:
        if not isinstance(event, ev.CountyStatusAssessedV1):
            raise TypeError(f"CountyStanding cannot apply {type(event).__name__}")
