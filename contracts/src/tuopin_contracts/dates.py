"""Instants travel in UTC; business dates are reckoned in Asia/Shanghai."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The calendar the domain lives in: no business date, year or instant outside it is taken
# in (``tuopin_contracts.bounds``), so date arithmetic on inputs (a loan's term, a day
# before a withdrawal) stays far inside what ``date`` and the databases hold.
FIRST_YEAR, LAST_YEAR = 1900, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def business_date(instant: datetime) -> date:
    """The calendar day an instant falls on in China (an event at 23:30 UTC is the next day)."""
    return instant.astimezone(SHANGHAI).date()


def today() -> date:
    return datetime.now(SHANGHAI).date()


def school_year(year: int) -> tuple[date, date]:
    """The school year (学年) that starts in ``year``, first and last day: 2017 is
    1 September 2017 – 31 August 2018."""
    return date(year, 9, 1), date(year + 1, 8, 31)


def school_year_of(day: date) -> int:
    """The school year a day falls in, by the year it starts."""
    return day.year if day.month >= 9 else day.year - 1


def decided_for(day: date, year: int) -> bool:
    """Whether a decision of ``day`` can be for the school year starting in ``year``: it is
    decided in its first or second calendar year (a loan or grant approved in the summer
    before the year starts, or during it)."""
    return year <= day.year <= year + 1


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day`` (a birthday on 29 February counts from 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def born(year: int | None, month: int | None) -> date | None:
    """The day age rules count from when only a birth year and month are known: the first
    of the month. Events never carry a birth day (a birth date is personal data, and with
    the county and a masked number it gives the ID number back), so an age on a date is
    exact except within the birth month, where a person counts a year older up to 30 days
    early."""
    if year is None or month is None:
        return None
    return date(year, month, 1)
