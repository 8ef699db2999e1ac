"""What evaluation's read endpoints answer, where the roll-up modules do not define it:
one model per answer, so the API document says each field. Money is integer fen."""

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from tuopin_eventkit.http import Answer


class Criterion(Answer):
    name: str
    value: str = Field(description="What the household's facts show")
    threshold: str | None
    passed: bool


class ExitVerdict(Answer):
    """A household's exit criteria recomputed on a day, under a rule set."""

    household_id: UUID
    as_of: date
    income_year: int
    rule_set: str
    passed: bool
    criteria: list[Criterion]


class Assistance(Answer):
    kind: str
    amount_fen: int
    decided_on: date


class SchoolYear(Answer):
    academic_year: int = Field(description="The year the school year starts (2017 = 2017–18)")
    level: str
    school: str
    granted_fen: int
    waived_fen: int
    assistance: list[Assistance]


class Student(Answer):
    member: str = Field(description="The student's resident ID, masked")
    years: list[SchoolYear]


class HouseholdEducation(Answer):
    """教育保障: the education assistance a household's members received."""

    household_id: UUID
    as_of: date
    known_at: datetime | None
    students_assisted: int
    granted_fen: int
    waived_fen: int
    members: list[Student]


class Signal(Answer):
    name: str
    explanation: str = Field(description="What the pattern is and why assessors look for it")
    threshold: dict[str, str | int] = Field(description="As set in reference/signals.json")
    households: list[str] = Field(description="The households it flags")


class CountySignals(Answer):
    """弄虚作假的迹象 (seed 六.17): patterns assessors look for, reproducible from the log."""

    county: str
    as_of: date
    known_at: datetime | None
    source: str = Field(description="Where the thresholds come from")
    signals: list[Signal]
