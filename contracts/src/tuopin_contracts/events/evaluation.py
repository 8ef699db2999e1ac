"""Events the evaluation service (考评) publishes on ``tuopin.evaluation.events``."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.catalogue import EventData, event_type
from tuopin_contracts.topics import Topic


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
