"""The columns the services' tables share, each defined once: a household's id, the region
codes that place a household or a fund, a history row's sequence and the instant a fact
was recorded. Each takes the column's other options (key, nullable, index) as they are."""

from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String


def household_id(**options: Any) -> Column[str]:
    """A household's id: its UUID, as text."""
    return Column("household_id", String(36), **options)


def county_code(**options: Any) -> Column[str]:
    """A county's code: six digits (GB/T 2260)."""
    return Column("county_code", String(6), **options)


def village_code(**options: Any) -> Column[str]:
    """A village's code: twelve digits, its county's six first."""
    return Column("village_code", String(12), **options)


def sequence() -> Column[int]:
    """A history row's number among its subject's, the second half of the key."""
    return Column("sequence", Integer, primary_key=True)


def recorded_at() -> Column[datetime]:
    """When the row's fact was recorded (its event's instant), beside the business date it
    took effect on: what "as known at" reads."""
    return Column("recorded_at", DateTime(timezone=True), nullable=False)
