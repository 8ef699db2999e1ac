"""Interest subsidy (贴息): accrued day by day on the outstanding principal.

A day's interest is principal × annual rate ÷ 360 (the PBoC's day rate, 日利率 = 年利率/360),
counting the day money goes out and not the day it comes back (算头不算尾). The sum over a
period is kept exact and rounded once, half up, to the fen per loan and statement, so the
same events give the same fen however often and wherever the statement is recomputed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

DAYS_IN_RATE_YEAR = 360


@dataclass(frozen=True)
class Movement:
    """Principal going out (+, a disbursement) or coming back (−, a repayment) on a day."""

    on: date
    delta: int  # fen


@dataclass(frozen=True)
class Subsidised:
    """What the accrual of one loan needs: its rate, its movements, its subsidy window."""

    annual_rate: Decimal
    movements: tuple[Movement, ...]
    subsidy_until: date  # last subsidised day
    stopped_on: date | None = None  # default: no subsidy from this day on


def fen_days(movements: Iterable[Movement], first: date, last: date) -> int:
    """Σ over the days first..last of the principal outstanding at the day's end."""
    if last < first:
        return 0
    ordered = sorted(movements, key=lambda m: m.on)
    balance = sum(m.delta for m in ordered if m.on <= first)
    total, day = 0, first
    for m in ordered:
        if m.on <= first:
            continue
        if m.on > last:
            break
        total += balance * (m.on - day).days
        balance, day = balance + m.delta, m.on
    return total + balance * ((last - day).days + 1)


def accrued(loan: Subsidised, start: date, end: date) -> Decimal:
    """The exact subsidy of one loan over the days start..end (inclusive), unrounded."""
    last = min(end, loan.subsidy_until)
    if loan.stopped_on is not None:
        last = min(last, loan.stopped_on - timedelta(days=1))
    return Decimal(fen_days(loan.movements, start, last)) * loan.annual_rate / DAYS_IN_RATE_YEAR


def to_fen(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """ "2016Q3" → (2016-07-01, 2016-09-30)."""
    year, number = int(quarter[:4]), int(quarter[5])
    start = date(year, 3 * number - 2, 1)
    after = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return start, after - timedelta(days=1)
