"""Request bodies of the office's endpoints."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.bounds import BusinessDate, Count, Fen
from tuopin_contracts.events.training import (
    Accreditation,
    LabourBrand,
    Level,
    OccupationCode,
    ProgrammeKind,
    Reason,
)
from tuopin_contracts.regions import CountyCode
from tuopin_contracts.text import FreeText


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccreditationTerms(Body):
    """资质认定: what a centre may train and certify, and for how long."""

    name: Annotated[FreeText, Field(min_length=1, max_length=200)]
    county_code: CountyCode
    valid_from: BusinessDate
    valid_until: BusinessDate
    occupations: list[Accreditation] = Field(min_length=1, max_length=200)


class Withdrawal(Body):
    withdrawn_on: BusinessDate
    reason: Reason


class ProgrammeOpening(Body):
    centre_id: UUID
    title: Annotated[FreeText, Field(min_length=1, max_length=200)]
    kind: ProgrammeKind
    labour_brand: LabourBrand | None = None
    occupation: OccupationCode
    level: Level
    capacity: Annotated[Count, Field(ge=1, le=10_000)]
    starts_on: BusinessDate
    ends_on: BusinessDate
    free_for_poor_labour: bool = True
    fee_fen: Fen = Field(default=0, description="Fee for others, in fen (分)")
