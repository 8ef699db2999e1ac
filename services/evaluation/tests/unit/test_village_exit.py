"""Village exit (贫困村退出): every criterion with its value and reason, the bound included,
missing denominators, the conditions the county recorded (the seed's 四 7 and 9 goals for
poor villages, accepted by the county: 六 15 村由县负责验收), and what-if under another
rule set."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from tuopin_contracts.events.registry import VILLAGE_FLAGS
from tuopin_evaluation.application import reference
from tuopin_evaluation.domain.exit_standard import NamedCriterion, VillageExitRules
from tuopin_evaluation.domain.village_exit import village_exit
from tuopin_evaluation.domain.village_figures import Condition, VillageFigures

RULES = reference.rule_set("gansu-2016").village_exit
WHAT_IF = reference.rule_set("national-2016-central-eastern").village_exit
FIGURES = {"collective_income": 2_000_000, "dangerous_houses": 4, "dangerous_houses_renovated": 4}
ALL_MET = {
    name: Condition(value, date(2017, 6, 30), "县扶贫办 验收表")
    for name, value in {**dict.fromkeys(VILLAGE_FLAGS, 1), **FIGURES}.items()
}
VILLAGE = VillageFigures(
    "621121100201",
    poor_households=1,
    poor_people=3,
    rural_population=100,
    poor_village=True,
    name="红崖村",
    conditions=ALL_MET,
)


def by_name(verdict) -> dict:
    return {c.name: c for c in verdict.criteria}


def test_incidence_at_the_bound_is_eligible() -> None:
    verdict = village_exit(VILLAGE, RULES)
    assert verdict.eligible and verdict.incidence == Decimal("0.0300")
    share = by_name(verdict)["poverty_incidence"]
    assert (share.value, share.threshold, share.status) == ("0.0300 (3 / 100)", "<= 0.03", "passed")
    assert by_name(verdict)["poor_village"].passed is True


def test_infrastructure_and_services_not_assessed_block_the_exit() -> None:
    verdict = village_exit(replace(VILLAGE, conditions={}), RULES)
    named = [c.name for c in RULES.criteria]
    assert not verdict.eligible
    assert verdict.not_assessed == named and len(named) == 10
    for name in named:
        check = by_name(verdict)[name]
        assert (check.value, check.status, check.passed) == ("not assessed", "not_assessed", None)
        assert check.description
    assert verdict.reasons == [f"{n} not assessed: no record of it in force" for n in named]


def test_one_condition_missing_is_named() -> None:
    held = {n: c for n, c in ALL_MET.items() if n != "village_clinic"}
    verdict = village_exit(replace(VILLAGE, conditions=held), RULES)
    assert not verdict.eligible and verdict.not_assessed == ["village_clinic"]
    assert verdict.reasons == ["village_clinic not assessed: no record of it in force"]


@pytest.mark.parametrize(
    ("recorded", "reason"),
    [
        ({"broadband": 0}, "broadband fails: no, needs yes (县扶贫办 验收表)"),
        ({"collective_income": 0}, "collective_income fails: 0, needs >= 1 (县扶贫办 验收表)"),
        (
            {"dangerous_houses_renovated": 3},
            "housing_safety fails: 0.7500 (3 / 4), needs >= 1 (县扶贫办 验收表)",
        ),
    ],
)
def test_a_condition_below_its_minimum_fails_with_its_source(recorded, reason) -> None:
    held = {**ALL_MET, **{n: replace(ALL_MET[n], value=v) for n, v in recorded.items()}}
    verdict = village_exit(replace(VILLAGE, conditions=held), RULES)
    assert not verdict.eligible and verdict.reasons == [reason]


def test_no_dangerous_house_is_full_coverage() -> None:
    none = {
        n: replace(ALL_MET[n], value=0) for n in ("dangerous_houses", "dangerous_houses_renovated")
    }
    check = by_name(village_exit(replace(VILLAGE, conditions={**ALL_MET, **none}), RULES))
    assert check["housing_safety"].passed
    assert check["housing_safety"].value == "1.0000 (0 / 0) from 2017-06-30 (县扶贫办 验收表)"


def test_above_the_bound_fails_with_the_reason() -> None:
    verdict = village_exit(replace(VILLAGE, poor_people=4), RULES)
    assert not verdict.eligible
    assert by_name(verdict)["poverty_incidence"].status == "failed"
    assert verdict.reasons[0] == "poverty incidence 0.0400 is above 0.03"


def test_rounding_decides_at_the_bound() -> None:
    # 0.030004 rounds to 0.0300: eligible; 0.03005 rounds half up to 0.0301: not.
    assert village_exit(
        replace(VILLAGE, poor_people=30_004, rural_population=1_000_000), RULES
    ).eligible
    assert not village_exit(
        replace(VILLAGE, poor_people=3_005, rural_population=100_000), RULES
    ).eligible


def test_a_village_without_a_registered_population_is_not_eligible() -> None:
    unknown = VillageFigures("621121100209", poor_households=1, poor_people=2)
    verdict = village_exit(unknown, RULES)
    assert not verdict.eligible and verdict.incidence is None
    share = by_name(verdict)["poverty_incidence"]
    assert (share.value, share.status, share.reason) == (
        "not computable",
        "not_assessed",
        "rural population not registered",
    )
    assert verdict.reasons[:2] == ["village not registered", "rural population not registered"]


def test_a_population_of_zero_is_not_a_denominator() -> None:
    verdict = village_exit(replace(VILLAGE, poor_people=0, rural_population=0), RULES)
    assert not verdict.eligible
    assert "registered rural population is zero" in verdict.reasons


def test_a_village_that_is_not_poor_has_nothing_to_exit() -> None:
    verdict = village_exit(replace(VILLAGE, poor_village=False, poor_people=0), RULES)
    assert not verdict.eligible
    assert by_name(verdict)["poverty_incidence"].passed is True
    assert verdict.reasons[0] == "not a registered poor village: it has nothing to exit"


def test_what_if_under_the_central_and_eastern_bound() -> None:
    assert village_exit(VILLAGE, RULES).eligible
    verdict = village_exit(VILLAGE, WHAT_IF)
    assert not verdict.eligible
    assert by_name(verdict)["poverty_incidence"].threshold == "<= 0.02"
    assert village_exit(replace(VILLAGE, poor_people=2), WHAT_IF).eligible


def test_rules_without_other_criteria_judge_on_incidence_alone() -> None:
    bare = VillageExitRules(max_incidence=Decimal("0.03"))
    verdict = village_exit(VILLAGE, bare)
    assert verdict.eligible and verdict.reasons == [] and verdict.not_assessed == []
    named = VillageExitRules(Decimal("0.03"), (NamedCriterion("road_access", "通村硬化路"),))
    unassessed = village_exit(replace(VILLAGE, conditions={}), named)
    assert not unassessed.eligible and unassessed.not_assessed == ["road_access"]
