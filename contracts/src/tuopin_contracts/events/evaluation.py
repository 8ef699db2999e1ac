"""Events the evaluation service (考评) publishes on ``tuopin.evaluation.events``."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.catalogue import EventData, catalogue, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import HouseholdStatus

Rate = Annotated[
    Decimal, Field(ge=0, le=1, decimal_places=4, description="A proportion, e.g. 0.0185")
]


class Criterion(BaseModel):
    """One test of the exit standard, e.g. income per head above the year's line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(examples=["income_per_head", "housing_safe"])
    value: str
    threshold: str | None = None
    passed: bool


@event_type("evaluation.household.exit_verified.v1", topic=Topic.EVALUATION)
class ExitVerifiedV1(EventData):
    """The verdict on a publicised household exit: every criterion, its value and pass/fail."""

    verification_id: UUID
    household_id: UUID
    year: int = Field(ge=2013, le=2100)
    passed: bool
    criteria: list[Criterion] = Field(min_length=1)


@event_type("evaluation.household.exit_verified.v2", topic=Topic.EVALUATION, effective="as_of")
class ExitVerifiedV2(EventData):
    """The verdict on a publicised household exit, judged as of the last day of its public
    notice (公示无异议后公告退出): the exit, if passed, is that day's fact."""

    verification_id: UUID
    household_id: UUID
    year: int = Field(ge=2013, le=2100)
    as_of: date = Field(
        description="The day the verdict judged the household as of; the exit takes effect on it"
    )
    passed: bool
    criteria: list[Criterion] = Field(min_length=1)

    @classmethod
    def from_v1(cls, old: ExitVerifiedV1, recorded: date) -> "ExitVerifiedV2":
        """A v1 verdict said no day: the registry exited on the day it was recorded."""
        return cls(**old.model_dump(), as_of=recorded)


catalogue.upcaster(ExitVerifiedV1, ExitVerifiedV2.from_v1)


@event_type(
    "evaluation.household.return_warning_raised.v1", topic=Topic.EVALUATION, effective="raised_on"
)
class ReturnWarningRaisedV1(EventData):
    """返贫预警: an exited household shows signs of falling back (income below the line,
    a new illness or disaster cause)."""

    warning_id: UUID
    household_id: UUID
    raised_on: date
    reasons: list[str] = Field(min_length=1)


@event_type(
    "evaluation.return_warning.acknowledged.v1",
    topic=Topic.EVALUATION,
    effective="acknowledged_on",
)
class ReturnWarningAcknowledgedV1(EventData):
    """The county took up a return warning: the cadre who answers for it and what is to be
    done (帮扶措施), from the day it was acknowledged."""

    warning_id: UUID
    household_id: UUID
    acknowledged_on: date
    cadre_name: str = Field(min_length=1, max_length=50)
    cadre_unit: str = Field(min_length=1, max_length=200)
    measures: list[str] = Field(min_length=1)


@event_type("evaluation.return_warning.closed.v1", topic=Topic.EVALUATION, effective="closed_on")
class ReturnWarningClosedV1(EventData):
    """A return warning ended: ``resolved`` when the county found the household stable
    again, ``returned`` when the registry listed it again as returned to poverty (返贫)."""

    warning_id: UUID
    household_id: UUID
    closed_on: date
    outcome: Literal["resolved", "returned"]
    reason: str = Field(min_length=1)


class VillageStratum(BaseModel):
    """A village of the sampling frame: its households and how many were sampled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    village_code: VillageCode
    population: int = Field(ge=1)
    allocated: int = Field(ge=1)


class SampledHousehold(BaseModel):
    """A sampled household as the register stood at the draw."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    household_id: UUID
    village_code: VillageCode
    status: HouseholdStatus
    people: int = Field(ge=0)


@event_type("evaluation.assessment.sample_drawn.v1", topic=Topic.EVALUATION)
class AssessmentSampleDrawnV1(EventData):
    """A third-party assessment (第三方评估) drew its stratified, seeded sample of a county:
    villages as strata, each sampled household with its status at the draw."""

    assessment_id: UUID
    county_code: CountyCode
    year: int = Field(ge=2013, le=2100)
    assessor: str = Field(min_length=1, max_length=200)
    seed: int
    strata: list[VillageStratum] = Field(min_length=1)
    households: list[SampledHousehold] = Field(min_length=1)


@event_type("evaluation.assessment.finding_recorded.v1", topic=Topic.EVALUATION)
class AssessmentFindingRecordedV1(EventData):
    """A field finding for one sampled household (or for non-registered people surveyed)."""

    assessment_id: UUID
    household_id: UUID | None = Field(
        default=None, description="The sampled household; None for the non-registered survey"
    )
    people: int = Field(ge=0, description="People the finding covers")
    wrongly_exited: bool = False
    missed_poor_people: int = Field(default=0, ge=0, description="漏评: poor found unregistered")
    approves: bool | None = Field(default=None, description="群众认可: the household approves")


@event_type("evaluation.assessment.published.v1", topic=Topic.EVALUATION)
class AssessmentPublishedV1(EventData):
    """The assessment's results, published (公开考核和验收结果)."""

    assessment_id: UUID
    county_code: CountyCode
    year: int
    wrong_exit_rate: Rate
    missed_identification_rate: Rate
    approval_rate: Rate
    # The counts behind each rate: a zero denominator means "nothing to measure".
    wrongly_exited_people: int = Field(ge=0)
    sampled_exited_people: int = Field(ge=0)
    missed_poor_people: int = Field(ge=0)
    non_registered_surveyed: int = Field(ge=0)
    approving_households: int = Field(ge=0)
    answering_households: int = Field(ge=0)


@event_type("evaluation.county.status_assessed.v1", topic=Topic.EVALUATION, effective="assessed_on")
class CountyStatusAssessedV1(EventData):
    """A county's standing against the delisting standard (摘帽) on a date, every test shown."""

    county_code: CountyCode
    assessed_on: date
    eligible: bool
    criteria: list[Criterion] = Field(min_length=1)
