"""What happens to a household, as the domain records it (field names = the contract's)."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from tuopin_contracts.vocabulary import (
    Education,
    Health,
    HouseholdStatus,
    LabourAbility,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)
from tuopin_registry.domain.ledger import MeasureItem, NeedItem, ProgressItem

S = HouseholdStatus


@dataclass(frozen=True, kw_only=True)
class Member:
    """家庭成员, as the household's rules need them: identity is a keyed hash; name, sex,
    birth date, health and the masked number are ``sealed`` (opaque here) under the
    person's data key, and only the vault opens them."""

    person_id: str
    relation: Relation
    id_number_hash: str | None = None
    birth_year: int | None = None
    birth_month: int | None = None
    education: Education | None = None
    schooling: Schooling | None = None
    has_disability: bool = False
    labour_ability: LabourAbility | None = None
    medical_insurance: bool = False
    pension_insurance: bool = False
    sealed: str | None = None


@dataclass(frozen=True, kw_only=True)
class Details:
    """The personal details a member's ``sealed`` holds, as an office entered them."""

    name: str
    sex: Sex | None = None
    birth_date: date | None = None
    health: Health | None = None
    id_number_masked: str | None = None


@dataclass(frozen=True, kw_only=True)
class HouseholdEvent:
    household_id: str
    effective_date: date
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class HouseholdRegistered(HouseholdEvent):
    file_number: str
    county_code: str
    village_code: str
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause]
    members: list[Member]
    identified_year: int


@dataclass(frozen=True, kw_only=True)
class MemberAdded(HouseholdEvent):
    member: Member


@dataclass(frozen=True, kw_only=True)
class MemberRemoved(HouseholdEvent):
    person_id: str


@dataclass(frozen=True, kw_only=True)
class PersonErased(HouseholdEvent):
    """A former member's deletion request honoured; ``reason`` cites the request."""

    person_id: str


@dataclass(frozen=True, kw_only=True)
class MemberUpdated(HouseholdEvent):
    person_id: str
    education: Education | None = None
    schooling: Schooling | None = None
    has_disability: bool | None = None
    labour_ability: LabourAbility | None = None
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None
    sealed: str | None = None  # the member's details sealed anew (a change of health)

    def changes(self) -> dict[str, Any]:  # keyword arguments for the member's replace()
        fields = asdict(self)
        for name in ("household_id", "effective_date", "reason", "person_id"):
            del fields[name]
        return fields


@dataclass(frozen=True, kw_only=True)
class IdentityCorrected(HouseholdEvent):
    """A member's resident ID number was entered wrongly (更正): with it their birth date
    and sex, which the number carries. ``reason`` names the evidence (户口簿, 身份证)."""

    person_id: str
    id_number_hash: str
    birth_year: int
    birth_month: int
    sealed: str  # the details re-sealed with the corrected birth date, sex and mask


@dataclass(frozen=True, kw_only=True)
class CausesRecorded(HouseholdEvent):
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause]


@dataclass(frozen=True, kw_only=True)
class IncomeRecorded(HouseholdEvent):
    """Net income of a year in fen, by component (工资性/生产经营性/财产性/转移性)."""

    year: int
    wages: int
    production_and_business: int
    property: int
    transfers: int
    members: int
    per_head: int


@dataclass(frozen=True, kw_only=True)
class IncomeCorrected(IncomeRecorded):
    """A year's income recorded wrongly, corrected (更正): replaces it from its effective
    date; ``reason`` says what was wrong and on what evidence."""


@dataclass(frozen=True, kw_only=True)
class ConditionsAssessed(HouseholdEvent):
    housing_safe: bool
    drinking_water_safe: bool


@dataclass(frozen=True, kw_only=True)
class NeedListed(HouseholdEvent, NeedItem):
    pass


@dataclass(frozen=True, kw_only=True)
class MeasurePlanned(HouseholdEvent, MeasureItem):
    pass


@dataclass(frozen=True, kw_only=True)
class MeasureProgressed(HouseholdEvent, ProgressItem):
    pass


@dataclass(frozen=True, kw_only=True)
class ResponsibilityAssigned(HouseholdEvent):
    cadre_name: str
    cadre_unit: str


@dataclass(frozen=True, kw_only=True)
class RelocationRecorded(HouseholdEvent):
    relocating: bool
    resettlement_site: str | None = None


@dataclass(frozen=True, kw_only=True)
class CooperativeJoined(HouseholdEvent):
    cooperative: str


@dataclass(frozen=True, kw_only=True)
class StatusChanged(HouseholdEvent):
    """A lifecycle step; ``status`` is where it leads (fixed per event type)."""

    status: HouseholdStatus


@dataclass(frozen=True, kw_only=True)
class AssistanceStarted(StatusChanged):
    status: HouseholdStatus = S.ASSISTING


@dataclass(frozen=True, kw_only=True)
class ExitProposed(StatusChanged):
    appraisal_date: date
    status: HouseholdStatus = S.EXIT_PROPOSED


@dataclass(frozen=True, kw_only=True)
class ExitPublicised(StatusChanged):
    notice_from: date
    notice_until: date
    status: HouseholdStatus = S.EXIT_PUBLICISED


@dataclass(frozen=True, kw_only=True)
class HouseholdExited(StatusChanged):
    verification_id: str
    status: HouseholdStatus = S.EXITED


@dataclass(frozen=True, kw_only=True)
class ExitRejected(StatusChanged):
    verification_id: str
    failed_criteria: list[str]
    status: HouseholdStatus = S.ASSISTING


@dataclass(frozen=True, kw_only=True)
class ExitAnnulled(StatusChanged):
    """A correction: an exit recorded by mistake never took effect; the household is
    assisted again from the exit's date (dated so)."""

    status: HouseholdStatus = S.ASSISTING


@dataclass(frozen=True, kw_only=True)
class ReturnedToPoverty(StatusChanged):
    cause: PovertyCause
    status: HouseholdStatus = S.RETURNED


@dataclass(frozen=True, kw_only=True)
class HouseholdRemoved(StatusChanged):
    status: HouseholdStatus = S.REMOVED
