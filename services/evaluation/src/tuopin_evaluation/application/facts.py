"""Evaluation's tables of household and village facts (filled by the households projection)."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    or_,
)

from tuopin_eventkit.db import recorded_by
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered
from tuopin_eventkit.store.roster import Roster

metadata = MetaData()

households = Table(
    "households",
    metadata,
    columns.household_id(primary_key=True),
    columns.county_code(nullable=False, index=True),
    columns.village_code(nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("size", Integer, nullable=False),
    Column("housing_safe", Boolean),
    Column("drinking_water_safe", Boolean),
    Column("registered_at", DateTime(timezone=True), nullable=False),
)

roster = Roster(
    "members",
    metadata,
    Column("schooling", String(30)),
    Column("medical_insurance", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    # Business dates of joining and leaving the household: its size as of any day; and
    # when each was recorded, for the size as known at an instant.
    Column("joined_on", Date),
    Column("left_on", Date),
    Column("joined_recorded_at", DateTime(timezone=True), nullable=False),
    Column("left_recorded_at", DateTime(timezone=True)),
)
members = roster.table


def recorded(e: Delivered) -> datetime:
    """When the producer recorded the fact (its envelope's ``time``), in UTC."""
    return e.envelope.time.astimezone(UTC)


def member_on(day: date, known_at: datetime | None = None) -> Any:
    """A member of their household on ``day``: joined by then, not yet left — as recorded
    by ``known_at`` when given (a joining recorded later is not known yet, a leaving
    recorded later has not happened yet)."""
    m = members.c
    joined = or_(m.joined_on.is_(None), m.joined_on <= day)
    if known_at is None:
        return and_(joined, or_(m.left_on > day, and_(m.left_on.is_(None), m.active)))
    return and_(
        joined,
        recorded_by(m.joined_recorded_at, known_at),
        or_(m.left_on.is_(None), m.left_on > day, ~recorded_by(m.left_recorded_at, known_at)),
    )


# The latest income recorded for each year (what a verdict and today's figures read) ...
incomes = Table(
    "incomes",
    metadata,
    columns.household_id(primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("per_head", BigInteger, nullable=False),  # fen
    Column("members", Integer, nullable=False),  # the people it was divided among
)

# ... and every recording of one, in the stream's order: a year's income is corrected by
# recording it again, and "as known at" an instant reads the latest recorded by then.
income_history = Table(
    "income_history",
    metadata,
    columns.household_id(primary_key=True),
    columns.sequence(),
    Column("year", Integer, nullable=False),
    Column("per_head", BigInteger, nullable=False),  # fen
    columns.recorded_at(),
)

MOVES = ["status", "household_id", "sequence", "effective_date", "year", "recorded_at"]

# Every status a household has had, in its stream's order (``sequence``), from the date it
# took effect and when it was recorded: the status in force on a day is the latest one
# effective by then (as known at an instant: among those recorded by then).
status_history = Table(
    "status_history",
    metadata,
    columns.household_id(primary_key=True),
    columns.sequence(),
    Column("status", String(20), nullable=False),
    Column("effective_date", Date, nullable=False, index=True),
    Column("year", Integer, nullable=False),
    columns.recorded_at(),
    # Covering the roll-ups' exits and returns, and the later status that annuls an exit.
    Index("ix_status_history_moves", *MOVES),
)

# Villages as registered (name, poor village or not, the incidence denominator, belt).
villages = Table(
    "villages",
    metadata,
    columns.village_code(primary_key=True),
    columns.county_code(nullable=False, index=True),
    Column("township_code", String(9), nullable=False, index=True),
    Column("name", String(100)),
    Column("poor", Boolean, nullable=False),
    Column("rural_population", Integer, nullable=False),
    Column("hardship_belt", String(100)),  # the belt's name (legacy events: free text)
    Column("hardship_belt_code", String(20), index=True),  # its code in the provincial list
    Column("cooperatives", Integer),
    Column("mutual_aid_fund", BigInteger),  # fen
    Column("registered_on", Date),
)

# Each condition of a village as the registry recorded it (the county's assessment): a
# flag as 1 or 0, a sum in fen, a count; in force from its effective date, known from its
# recording instant, on the named source.
village_conditions = Table(
    "village_conditions",
    metadata,
    columns.village_code(primary_key=True),
    columns.sequence(),
    Column("condition", String(40), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("effective_date", Date, nullable=False),
    columns.recorded_at(),
    Column("source", String(200), nullable=False),
)

# Each recorded standing of a village (poor or not, rural population), for "as of" a day.
village_standing = Table(
    "village_standing",
    metadata,
    columns.village_code(primary_key=True),
    columns.sequence(),
    Column("effective_date", Date, nullable=False),
    Column("poor", Boolean, nullable=False),
    Column("rural_population", Integer, nullable=False),
    columns.recorded_at(),
)
