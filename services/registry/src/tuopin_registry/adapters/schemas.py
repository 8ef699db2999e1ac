"""What offices send: strict request models (unknown fields refused). Every free-text field
is ``FreeText``: a resident ID or mobile number typed into it is refused (422), since
what is typed travels unmasked into the events and every copy of them."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.text import FreeText
from tuopin_contracts.vocabulary import (
    Education,
    Health,
    LabourAbility,
    MeasureKind,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)

Fen = Annotated[int, Field(ge=0, le=10**12, description="Amount in fen (分)")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Dated(Strict):
    effective_date: date = Field(description="When it takes effect (business date)")
    reason: FreeText | None = Field(default=None, max_length=500, description="Why (理由)")


class MemberEntry(Strict):
    """A member as entered (real name, 实名制): the ID number is checked (GB 11643)."""

    name: FreeText = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=15, max_length=18, examples=["11010519491231002X"])
    relation: Relation
    sex: Sex | None = Field(default=None, description="Taken from the ID number when absent")
    birth_date: date | None = Field(default=None, description="Taken from the ID number")
    education: Education | None = None
    schooling: Schooling | None = None
    health: Health | None = None
    disabled: bool = False
    labour_ability: LabourAbility | None = None
    medical_insurance: bool = False
    pension_insurance: bool = False


class HouseholdFiling(Dated):
    """建档立卡: a poor household with its members and the causes of its poverty."""

    file_number: str = Field(min_length=1, max_length=40)
    county_code: CountyCode
    village_code: VillageCode
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)
    identified_year: int = Field(ge=2013, le=2100)
    members: list[MemberEntry] = Field(min_length=1, max_length=30)


class NewMember(Dated):
    member: MemberEntry


class MemberChanges(Dated):
    education: Education | None = None
    schooling: Schooling | None = None
    health: Health | None = None
    disabled: bool | None = None
    labour_ability: LabourAbility | None = None
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None


class Causes(Dated):
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)


class Income(Dated):
    """人均纯收入 of a year, by component, in fen; the per-head figure is computed."""

    year: int = Field(ge=2013, le=2100)
    wages: Fen
    production_and_business: Fen
    property: Fen
    transfers: Fen


class Conditions(Dated):
    housing_safe: bool
    drinking_water_safe: bool


class Need(Dated):
    kind: MeasureKind
    description: FreeText = Field(min_length=1, max_length=500)


class MeasurePlan(Dated):
    kind: MeasureKind
    plan: FreeText = Field(min_length=1, max_length=1000)
    funds: Fen
    due_date: date
    need_id: str | None = None


class Progress(Dated):
    progress_percent: int = Field(ge=0, le=100)
    spent: Fen
    note: FreeText = Field(default="", max_length=1000)
    completed: bool


class Responsibility(Dated):
    cadre_name: FreeText = Field(min_length=1, max_length=50)
    cadre_unit: FreeText = Field(min_length=1, max_length=200)


class Relocation(Dated):
    relocating: bool
    resettlement_site: FreeText | None = Field(default=None, max_length=200)


class Cooperative(Dated):
    cooperative: FreeText = Field(min_length=1, max_length=200)


class ExitProposal(Strict):
    appraisal_date: date = Field(description="Date of the village's democratic appraisal")
    reason: FreeText | None = Field(default=None, max_length=500)


class ExitNotice(Strict):
    notice_from: date
    notice_until: date
    reason: FreeText | None = Field(default=None, max_length=500)


class Return(Dated):
    cause: PovertyCause


class Removal(Strict):
    effective_date: date
    reason: FreeText = Field(min_length=1, max_length=500)


class VillageRegistration(Dated):
    village_code: VillageCode
    name: FreeText = Field(min_length=1, max_length=100)
    poor: bool
    rural_population: int = Field(ge=0)
    hardship_belt: FreeText | None = Field(default=None, max_length=100, description="特困片带")


class VillageResponsibility(Dated):
    first_secretary: FreeText = Field(min_length=1, max_length=50)
    work_team: list[FreeText] = Field(min_length=1, max_length=20)
    responsible_unit: FreeText = Field(min_length=1, max_length=200)


class VillageProfile(Dated):
    poor: bool
    rural_population: int = Field(ge=0)
    cooperatives: int = Field(ge=0)
    mutual_aid_fund: Fen


class Erasure(Strict):
    """A deletion request to honour (crypto-shredding of the person's clear identity)."""

    effective_date: date = Field(description="The day the request was decided (business date)")
    reason: FreeText = Field(
        min_length=1, max_length=500, description="The request it honours: reference and grounds"
    )
