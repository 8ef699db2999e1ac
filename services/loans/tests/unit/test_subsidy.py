"""The interest subsidy accrues day by day on the outstanding principal, exact to the fen,
across month ends and leap years; checked against a day-by-day count done here."""

from datetime import date, timedelta
from decimal import Decimal

from tuopin_loans.domain.subsidy import (
    Movement,
    Subsidised,
    accrued,
    fen_days,
    quarter_bounds,
    to_fen,
)

RATE = Decimal("0.0475")


def day_by_day(loan: Subsidised, start: date, end: date) -> Decimal:
    """An independent count: every day, the balance after that day's movements."""
    total, day = 0, start
    while day <= min(end, loan.subsidy_until):
        if loan.stopped_on is not None and day >= loan.stopped_on:
            break
        balance = sum(m.delta for m in loan.movements if m.on <= day)
        total += balance
        day += timedelta(days=1)
    return Decimal(total) * loan.annual_rate / 360


def loan(*moves: tuple[date, int], until: date = date(2018, 12, 31), stopped=None) -> Subsidised:
    return Subsidised(RATE, tuple(Movement(d, f) for d, f in moves), until, stopped)


def test_a_quarter_over_a_leap_february_to_the_fen() -> None:
    # 50,000 yuan out on 15 Jan 2016, 10,000 back on 20 Feb (2016 has a 29 February).
    subject = loan((date(2016, 1, 15), 5_000_000), (date(2016, 2, 20), -1_000_000))
    start, end = quarter_bounds("2016Q1")
    # 36 days of 5,000,000 fen then 41 of 4,000,000: 344,000,000 fen-days × 4.75 % / 360.
    assert fen_days(subject.movements, start, end) == 344_000_000
    assert to_fen(accrued(subject, start, end)) == 45_389
    assert accrued(subject, start, end) == day_by_day(subject, start, end)


def test_february_has_28_days_in_2015_and_29_in_2016() -> None:
    for year, days in ((2015, 28), (2016, 29)):
        subject = loan((date(year, 1, 1), 3_600_000))
        february = accrued(subject, date(year, 2, 1), date(year, 2, 28 if days == 28 else 29))
        assert february == Decimal(3_600_000 * days) * RATE / 360


def test_repayment_on_the_first_of_the_month_counts_from_that_day() -> None:
    # 算头不算尾: the day money goes out counts, the day it comes back does not.
    subject = loan((date(2016, 3, 31), 1_000_000), (date(2016, 4, 1), -1_000_000))
    assert fen_days(subject.movements, date(2016, 3, 1), date(2016, 3, 31)) == 1_000_000
    assert fen_days(subject.movements, date(2016, 4, 1), date(2016, 4, 30)) == 0


def test_half_a_fen_rounds_up_once_per_loan() -> None:
    subject = Subsidised(Decimal("0.05"), (Movement(date(2016, 1, 1), 3_600),), date(2016, 1, 1))
    assert accrued(subject, date(2016, 1, 1), date(2016, 3, 31)) == Decimal("0.5")
    assert to_fen(Decimal("0.5")) == 1 and to_fen(Decimal("0.4999")) == 0


def test_the_subsidy_stops_at_its_window_and_at_default() -> None:
    subject = loan((date(2016, 1, 1), 1_000_000), until=date(2016, 1, 10))
    assert fen_days(subject.movements, date(2016, 1, 1), date(2016, 1, 10)) == 10_000_000
    assert accrued(subject, *quarter_bounds("2016Q1")) == Decimal(10_000_000) * RATE / 360
    defaulted = loan((date(2016, 1, 1), 1_000_000), stopped=date(2016, 1, 6))
    assert accrued(defaulted, *quarter_bounds("2016Q1")) == Decimal(5_000_000) * RATE / 360
    assert accrued(defaulted, *quarter_bounds("2016Q2")) == 0


def test_many_movements_match_the_day_by_day_count() -> None:
    moves = [
        (date(2016, 1, 1) + timedelta(days=17 * i), 250_000 if i % 3 else -100_000)
        for i in range(1, 30)
    ]
    subject = loan((date(2015, 12, 20), 1_000_000), *moves)
    for quarter in ("2016Q1", "2016Q2", "2016Q3", "2016Q4", "2017Q1"):
        assert accrued(subject, *quarter_bounds(quarter)) == day_by_day(
            subject, *quarter_bounds(quarter)
        )


def test_quarter_bounds() -> None:
    assert quarter_bounds("2016Q1") == (date(2016, 1, 1), date(2016, 3, 31))
    assert quarter_bounds("2016Q4") == (date(2016, 10, 1), date(2016, 12, 31))
