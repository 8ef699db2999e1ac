"""Instants travel in UTC; business dates are reckoned in Asia/Shanghai."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def business_date(instant: datetime) -> date:
    """The calendar day an instant falls on in China (an event at 23:30 UTC is the next day)."""
    return instant.astimezone(SHANGHAI).date()


def today() -> date:
    return datetime.now(SHANGHAI).date()


def age_on(birth: date, day: date) -> int:
    """Full years of age on ``day`` (a birthday on 29 February counts from 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
