"""What offices send: strict request models (unknown fields refused). Every free-text field
is ``FreeText``: a resident ID or mobile number typed into it is refused (422), since
what is typed travels unmasked into the events and every copy of them."""

from typing import Annotated

from pydantic import Field

from tuopin_contracts.bounds import BusinessDate, Count, Fen, Population, Text
from tuopin_contracts.events import registry as reg
from tuopin_contracts.regions import VillageCode
from tuopin_contracts.text import FreeText
from tuopin_contracts.vocabulary import Health, MeasureKind, PovertyCause
from tuopin_registry.application.entries import Dated, MemberEntry, Name, Reason, Strict, Year2013

Unit = Annotated[FreeText, Field(min_length=1, max_length=200)]


class NewMember(Dated):
    member: MemberEntry


# The event's circumstances, and health as the office knows it: the command seals it and
# says in clear only whether the member is disabled.
class MemberChanges(reg.MemberCircumstances, Dated):
    health: Health | None = None
    disabled: bool | None = None


class IdentityCorrection(Strict):
    """A member's resident ID number entered wrongly, and the birth date and sex with it."""

    id_number: Annotated[Text, Field(min_length=15, max_length=18)] = Field(
        description="The correct number (GB 11643 checked)"
    )
    effective_date: BusinessDate = Field(description="When the correction was decided")
    reason: Annotated[Reason, Field(min_length=1)] = Field(
        description="The evidence: 户口簿, 身份证 (更正理由)"
    )


class Causes(Dated):
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)


class Income(Dated):
    """人均纯收入 of a year, by component, in fen; the per-head figure is computed."""

    year: Year2013
    wages: Fen
    production_and_business: Fen
    property: Fen
    transfers: Fen


class Conditions(Dated):
    housing_safe: bool
    drinking_water_safe: bool


class Need(Dated):
    kind: MeasureKind
    description: Annotated[FreeText, Field(min_length=1, max_length=500)]


class MeasurePlan(Dated):
    kind: MeasureKind
    plan: Annotated[FreeText, Field(min_length=1, max_length=1000)]
    funds: Fen
    due_date: BusinessDate
    need_id: Annotated[Text, Field(max_length=36)] | None = Field(
        default=None, description="The need it answers (an id from the needs list)"
    )


class Progress(Dated):
    progress_percent: Annotated[Count, Field(le=100)]
    spent: Fen
    note: Annotated[FreeText, Field(max_length=1000)] = ""
    completed: bool


class Responsibility(Dated):
    cadre_name: Name
    cadre_unit: Unit


class Relocation(Dated):
    relocating: bool
    resettlement_site: Annotated[FreeText, Field(max_length=200)] | None = None


class Cooperative(Dated):
    cooperative: Unit


class IncomeCorrection(Income):
    """A year's income recorded wrongly, corrected: effective from ``effective_date``."""

    reason: Annotated[Reason, Field(min_length=1)] = Field(
        description="What was wrong, on what evidence (更正理由)"
    )


class Correction(Strict):
    reason: Annotated[Reason, Field(min_length=1)] = Field(
        description="What was wrong, on what evidence (更正理由)"
    )


class ExitProposal(Strict):
    appraisal_date: BusinessDate = Field(description="Date of the village's democratic appraisal")
    reason: Reason | None = None


class ExitNotice(Strict):
    notice_from: BusinessDate
    notice_until: BusinessDate
    reason: Reason | None = None


class Return(Dated):
    cause: PovertyCause


class Removal(Strict):
    effective_date: BusinessDate
    reason: Annotated[Reason, Field(min_length=1)]


class VillageRegistration(Dated):
    village_code: VillageCode
    name: Annotated[FreeText, Field(min_length=1, max_length=100)]
    poor: bool
    rural_population: Population = Field(description="农村户籍人口")
    hardship_belt_code: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$")] | None = Field(
        default=None,
        description="特困片带: a code of GET /v1/hardship-belts whose counties (and "
        "townships, where listed) hold the village",
    )


class VillageResponsibility(Dated):
    first_secretary: Name
    work_team: list[Name] = Field(min_length=1, max_length=20)
    responsible_unit: Unit


class VillageProfile(Dated):
    poor: bool
    rural_population: Population
    cooperatives: Count = Field(description="农民专业合作社 in the village")
    mutual_aid_fund: Fen


class VillageConditions(Dated):
    """The county's assessment (村由县负责验收) of some of the village's conditions; those
    left out keep their earlier record."""

    source: Unit = Field(description="Who assessed, in which document (验收依据)")
    road_access: bool | None = Field(default=None, description="通村硬化路")
    safe_drinking_water: bool | None = Field(default=None, description="安全饮水")
    power_supply: bool | None = Field(default=None, description="通动力电")
    broadband: bool | None = Field(default=None, description="宽带")
    village_clinic: bool | None = Field(default=None, description="标准化卫生室 and 村医")
    school_access: bool | None = Field(default=None, description="就学")
    cultural_venue: bool | None = Field(default=None, description="综合性文化中心")
    industry: bool | None = Field(default=None, description="产业合作组织")
    collective_income: Fen | None = Field(default=None, description="村集体经济收入, fen")
    dangerous_houses: Count | None = Field(default=None, description="危房 of poor households")
    dangerous_houses_renovated: Count | None = Field(
        default=None, description="of those, renovated"
    )


class Erasure(Strict):
    """A deletion request to honour (crypto-shredding of the person's clear identity)."""

    effective_date: BusinessDate = Field(
        description="The day the request was decided (business date)"
    )
    reason: Annotated[Reason, Field(min_length=1)] = Field(
        description="The request it honours: reference and grounds"
    )
