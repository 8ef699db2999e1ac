"""The falsification signals' bounds (seed 六 考评精准 17, 弄虚作假), as pure functions."""

from datetime import date
from decimal import Decimal

from tuopin_evaluation.application.signals import reference
from tuopin_evaluation.domain import signals as sg

LINE = {2016: 295_200}  # fen


def test_the_margin_above_the_line_includes_its_bound_and_excludes_the_line() -> None:
    exits = {"at-line": date(2016, 6, 1), "at-bound": date(2016, 6, 1), "over": date(2016, 6, 1)}
    incomes = {"at-line": {2016: 295_200}, "at-bound": {2016: 324_720}, "over": {2016: 324_721}}
    signal = sg.near_line_at_exit(exits, incomes, LINE, Decimal("0.10"))
    assert signal.households == ["at-bound"]


def test_half_of_the_exits_at_year_end_is_not_more_than_half() -> None:
    half = {
        "a": date(2017, 12, 1),
        "b": date(2017, 12, 31),
        "c": date(2017, 3, 1),
        "d": date(2017, 4, 1),
    }
    assert sg.year_end_exits(half, 31, Decimal("0.5"), 3).households == []
    half["e"] = date(2017, 12, 15)
    assert sg.year_end_exits(half, 31, Decimal("0.5"), 3).households == ["a", "b", "e"]
    assert sg.year_end_exits({"a": date(2017, 12, 31)}, 31, Decimal("0.5"), 3).households == []


def test_a_jump_needs_consecutive_years_and_more_than_the_factor() -> None:
    incomes = {
        "x3": {2015: 100, 2016: 300},
        "gap": {2014: 100, 2016: 900},
        "x4": {2015: 100, 2016: 400},
    }
    assert sg.income_jump(incomes, Decimal("3"), {}).households == ["x4"]


def test_a_measure_that_year_or_the_year_before_explains_a_jump() -> None:
    incomes = {h: {2015: 100, 2016: 400} for h in ("loan-2015", "loan-2016", "loan-2014")}
    measures = {"loan-2015": {2015}, "loan-2016": {2016}, "loan-2014": {2014}}
    assert sg.income_jump(incomes, Decimal("3"), measures).households == ["loan-2014"]


def test_removal_within_the_days_includes_the_last_day() -> None:
    filed = {"a": date(2016, 1, 1), "b": date(2016, 1, 1)}
    removed = {"a": date(2016, 3, 31), "b": date(2016, 4, 1)}  # 90 and 91 days
    assert sg.quick_removal(filed, removed, 90).households == ["a"]


def test_the_reference_file_parses_with_decimal_strings() -> None:
    t = sg.Thresholds.parse(reference())
    assert t.near_line_margin == Decimal("0.10") and t.quick_removal_days == 90
