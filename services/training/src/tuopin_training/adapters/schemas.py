"""Request bodies of the office's endpoints."""

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.events.training import (
    Accreditation,
    LabourBrand,
    Level,
    OccupationCode,
    ProgrammeKind,
)
from tuopin_contracts.regions import CountyCode
from tuopin_contracts.text import FreeText


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccreditationTerms(Body):
    """资质认定: what a centre may train and certify, and for how long."""

    name: FreeText = Field(min_length=1, max_length=200)
    county_code: CountyCode
    valid_from: date
    valid_until: date
    occupations: list[Accreditation] = Field(min_length=1, max_length=200)


class Withdrawal(Body):
    withdrawn_on: date
    reason: FreeText = Field(min_length=1, max_length=500)


class ProgrammeOpening(Body):
    centre_id: UUID
    title: FreeText = Field(min_length=1, max_length=200)
    kind: ProgrammeKind
    labour_brand: LabourBrand | None = None
    occupation: OccupationCode
    level: Level
    capacity: int = Field(ge=1, le=10_000)
    starts_on: date
    ends_on: date
    free_for_poor_labour: bool = True
    fee_fen: int = Field(default=0, ge=0, description="Fee for others, in fen (分)")
