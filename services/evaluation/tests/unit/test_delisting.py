"""County delisting (摘帽): each of the four tests fails in turn, and blocks."""

from decimal import Decimal

import pytest

from tuopin_evaluation.application.reference import rule_set
from tuopin_evaluation.domain.assessment import Rate, Results
from tuopin_evaluation.domain.delisting import Assessed, delisting

RULES = rule_set("gansu-2016").county_delisting
GOOD = Results(wrong_exit=Rate(1, 200), missed_identification=Rate(2, 400), approval=Rate(95, 100))


def verdict(incidence="0.0250", results=GOOD, assessed=True) -> dict:
    found = Assessed("a-1", 2019, results) if assessed else None
    value = None if incidence is None else Decimal(incidence)
    return {c.name: c for c in delisting(value, "2 villages lack a population", found, RULES)}


def test_a_county_meeting_all_four_tests_is_eligible() -> None:
    criteria = verdict()
    assert all(c.passed for c in criteria.values())
    assert criteria["comprehensive_incidence"].threshold == "< 0.03"
    assert criteria["wrong_exit_rate"].value == "0.0050 (1/200)"
    assert criteria["approval_rate"].threshold == "≥ 0.90"


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        ({"incidence": "0.0300"}, "comprehensive_incidence"),  # 低于: the bound itself fails
        ({"incidence": None}, "comprehensive_incidence"),
        (
            {"results": Results(Rate(4, 200), GOOD.missed_identification, GOOD.approval)},
            "wrong_exit_rate",
        ),
        (
            {"results": Results(GOOD.wrong_exit, Rate(8, 400), GOOD.approval)},
            "missed_identification_rate",
        ),
        (
            {"results": Results(GOOD.wrong_exit, GOOD.missed_identification, Rate(89, 100))},
            "approval_rate",
        ),
        (
            {"results": Results(GOOD.wrong_exit, Rate(0, 0), GOOD.approval)},
            "missed_identification_rate",
        ),  # no survey of the non-registered: cannot rule it out
    ],
)
def test_each_test_fails_alone_and_blocks(changes, failing) -> None:
    criteria = verdict(**changes)
    assert [n for n, c in criteria.items() if not c.passed] == [failing]


def test_the_approval_bound_itself_passes_and_no_exited_sample_is_no_wrong_exit() -> None:
    criteria = verdict(results=Results(Rate(0, 0), GOOD.missed_identification, Rate(90, 100)))
    assert criteria["approval_rate"].passed and criteria["wrong_exit_rate"].passed
    assert criteria["wrong_exit_rate"].value == "0.0000 (nothing to measure)"


def test_without_a_published_assessment_three_tests_fail() -> None:
    criteria = verdict(assessed=False)
    failed = [n for n, c in criteria.items() if not c.passed]
    assert failed == ["wrong_exit_rate", "missed_identification_rate", "approval_rate"]
    assert criteria["comprehensive_incidence"].passed
