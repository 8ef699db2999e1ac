"""What evaluation's read endpoints answer, where the roll-up modules do not define it:
one model per answer, so the API document says each field. Money is integer fen."""

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from tuopin_eventkit.web.http import Answer


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


class TargetProgress(Answer):
    """One of the seed's targets (reference/targets.json) and where the region stands."""

    name: str
    description: str
    quote: str = Field(description="The seed's own sentence")
    source: str
    year: int | None = None
    years: list[int] | None = None
    by: int | None = Field(None, description="The year it is due by")
    at_least: int | None = None
    at_least_yuan: str | None = None
    applies_to: str | None = Field(None, description="The level it is judged for")
    value: int | str | dict[str, int | str | None] | None = Field(
        description="The figure: a number, a yuan amount, or figures by name or year"
    )
    met: bool | None = Field(description="None: not judged (too early, or not this level)")
    people: int | None = None
    note: str | None = None


class Targets(Answer):
    region: str
    as_of: date
    targets: list[TargetProgress]


class DelistingStanding(Answer):
    """A county's delisting (摘帽) standing on a day: every test, passed or not."""

    county_code: str
    as_of: date
    known_at: datetime | None
    rule_set: str
    eligible: bool
    assessment_id: UUID | None = Field(description="The third-party assessment it rests on")
    criteria: list[Criterion]


# --- third-party assessments (第三方评估) --------------------------------------------


class AssessmentHeading(Answer):
    assessment_id: str
    county_code: str
    year: int
    assessor: str
    seed: int
    status: str
    version: int


class AssessmentProgress(AssessmentHeading):
    sample_size: int
    findings_recorded: int
    outstanding: int = Field(description="Sampled households without a finding yet")


class Finding(Answer):
    people: int
    wrongly_exited: bool | None
    approves: bool | None


class HouseholdFinding(Finding):
    household_id: str


class FindingRecorded(AssessmentProgress):
    finding: HouseholdFinding


class SurveyTotals(Answer):
    surveys: int
    people_surveyed: int
    missed_poor_people: int


class SurveyRecorded(AssessmentProgress):
    survey: SurveyTotals


class Rate(Answer):
    value: str = Field(description="A decimal string: 0.0185")
    numerator: int
    denominator: int
    undefined: bool = Field(description="Zero denominator: the value says nothing")


class Rates(Answer):
    wrong_exit_rate: Rate
    missed_identification_rate: Rate
    approval_rate: Rate


class AssessmentResult(AssessmentHeading, Rates):
    """What is published (公开考核结果): the rates with the counts behind them."""

    sample_size: int
    sampled_exited_households: int
    people_surveyed: int


class PublishedResults(Answer):
    county: str | None
    year: int | None
    items: list[AssessmentResult]


class Stratum(Answer):
    """A village: its households in the frame and how many are sampled."""

    village_code: str
    population: int
    allocated: int


class SampledHousehold(Answer):
    household_id: str
    village_code: str
    status: str
    people: int = Field(description="Registered members at the draw")
    finding: Finding | None


class AssessmentFile(AssessmentProgress):
    """The whole assessment: allocation, sample, findings, survey and the rates so far."""

    population: int
    allocation: list[Stratum]
    households: list[SampledHousehold]
    survey: SurveyTotals
    results: Rates


# --- return warnings (返贫预警) ------------------------------------------------------


class WarningAcknowledgement(Answer):
    acknowledged_on: date
    cadre_name: str
    cadre_unit: str
    measures: list[str]


class WarningClosure(Answer):
    closed_on: date
    outcome: str
    reason: str | None


class ReturnWarning(Answer):
    warning_id: str
    household_id: str
    county_code: str
    village_code: str
    reasons: list[str]
    raised_on: date
    status: str
    since: date
    acknowledgement: WarningAcknowledgement | None
    closure: WarningClosure | None
