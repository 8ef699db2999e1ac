"""The household exit standard: each criterion passes and fails on its own."""

from dataclasses import replace
from datetime import date

import pytest

from tuopin_evaluation.application.reference import poverty_lines, rule_sets
from tuopin_evaluation.domain.exit_standard import (
    HouseholdFacts,
    Person,
    PovertyLines,
    RuleSet,
    rule_set_on,
    verify,
)

ON = date(2017, 10, 2)
RULES = rule_set_on(list(rule_sets()), ON)
LINES = poverty_lines()
ADULT = Person(date(1980, 1, 1), None, True)
PUPIL = Person(date(2006, 3, 1), "primary", True)  # 11 on ON

GOOD = HouseholdFacts(
    members=(ADULT, PUPIL),
    income_per_head={2017: 3_335_01},  # 3,335.01 yuan: just above 2017's line
    housing_safe=True,
    drinking_water_safe=True,
)


def verdict(facts: HouseholdFacts, rules: RuleSet = RULES, lines: PovertyLines = LINES) -> dict:
    return {c.name: c for c in verify(facts, ON, 2017, rules, lines)}


def test_a_household_meeting_the_standard_passes_every_criterion() -> None:
    criteria = verdict(GOOD)
    assert list(criteria) == [
        "income_per_head",
        "compulsory_education",
        "medical_insurance",
        "housing_safe",
        "drinking_water_safe",
    ]
    assert all(c.passed for c in criteria.values())
    assert criteria["income_per_head"].value == "3335.01"
    assert criteria["income_per_head"].threshold == "> 3335.00 (2017)"


@pytest.mark.parametrize(
    ("facts", "failing", "value"),
    [
        (replace(GOOD, income_per_head={2017: 3_335_00}), "income_per_head", "3335.00"),
        (replace(GOOD, income_per_head={2016: 9_000_00}), "income_per_head", "not recorded"),
        (
            replace(GOOD, members=(ADULT, replace(PUPIL, schooling="dropped_out"))),
            "compulsory_education",
            "0 of 1 children aged 6-15 in school",
        ),
        (
            replace(GOOD, members=(ADULT, replace(PUPIL, schooling=None))),
            "compulsory_education",
            "0 of 1 children aged 6-15 in school",
        ),
        (
            replace(GOOD, members=(replace(ADULT, medical_insurance=False), PUPIL)),
            "medical_insurance",
            "1 of 2 members insured",
        ),
        (replace(GOOD, housing_safe=False), "housing_safe", "false"),
        (replace(GOOD, housing_safe=None), "housing_safe", "not assessed"),
        (replace(GOOD, drinking_water_safe=False), "drinking_water_safe", "false"),
    ],
)
def test_each_criterion_fails_alone(facts, failing, value) -> None:
    criteria = verdict(facts)
    assert [name for name, c in criteria.items() if not c.passed] == [failing]
    assert criteria[failing].value == value


def test_a_sixteen_year_old_out_of_school_is_past_compulsory_age() -> None:
    older = replace(PUPIL, birth_date=date(2001, 9, 1), schooling="not_in_school")
    assert verdict(replace(GOOD, members=(ADULT, older)))["compulsory_education"].passed


def test_what_if_under_another_rule_set_and_another_year_line() -> None:
    strict = replace(RULES, name="what-if", income_years_above_line=2)
    assert not verdict(GOOD, strict)["income_per_head"].passed  # 2016 not recorded
    two_years = replace(GOOD, income_per_head={2016: 3_000_00, 2017: 3_400_00})
    assert verdict(two_years, strict)["income_per_head"].passed
    higher_line = PovertyLines({**LINES.yuan, 2017: 3_500})
    assert not verdict(GOOD, lines=higher_line)["income_per_head"].passed


def test_the_rule_set_in_force_is_chosen_by_date() -> None:
    assert rule_set_on(list(rule_sets()), date(2016, 1, 1)).name == "gansu-2016"
    with pytest.raises(LookupError):
        rule_set_on(list(rule_sets()), date(2015, 12, 31))


def test_the_poverty_line_table_is_data() -> None:
    assert {y: LINES.yuan[y] for y in (2010, 2014, 2015, 2016)} == {
        2010: 2300,
        2014: 2800,
        2015: 2855,
        2016: 2952,
    }
