"""Events the registry (建档立卡) publishes on ``tuopin.registry.events``.

Every household fact names the household, the date it takes effect (business date,
Asia/Shanghai) and, where a person decided it, the reason. The clear resident ID number
never leaves the registry. Since v3 of the filing (v2 of a member added or changed) a
member travels as facts other services need — the keyed hash of the ID number to join on,
birth year and month for age rules, schooling, disability yes/no, insurance — and nothing
that names them: name, sex, birth date, health and the masked number are ``sealed`` under
the person's own data key in the registry's vault, so erasing that key blinds every copy
(the event store, the topic, the read models). Older versions are upcast on read, their
personal fields dropped. See SECURITY.md for where each personal field may appear.
"""

from datetime import date
from typing import Annotated
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuopin_contracts.bounds import Count, FenTotal
from tuopin_contracts.catalogue import EventData, catalogue, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import (
    Education,
    Health,
    HouseholdStatus,
    LabourAbility,
    MeasureKind,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)

Reason = Annotated[str | None, Field(default=None, max_length=500, description="Why (理由).")]


@event_type("registry.household.registered.v1", topic=Topic.REGISTRY)
class HouseholdRegisteredV1(EventData):
    """A poor household was filed (建档立卡) in a village. Superseded by v2, upcast on read."""

    household_id: UUID
    county_code: CountyCode
    village_code: VillageCode
    head_name: str = Field(min_length=1, max_length=50, description="Head of household (户主).")
    size: int = Field(ge=1, le=30, description="Number of household members.")

    @model_validator(mode="after")
    def _village_in_county(self) -> "HouseholdRegisteredV1":
        if not self.village_code.startswith(self.county_code):
            raise ValueError("village_code must lie within county_code")
        return self


class Member(BaseModel):
    """A household member (家庭成员) as other services may know them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_id: UUID
    name: str = Field(min_length=1, max_length=50)
    id_number_hash: str | None = Field(
        default=None, description="Keyed hash of the resident ID number; None on legacy records."
    )
    id_number_masked: str | None = Field(default=None, examples=["6211**********1234"])
    relation: Relation
    sex: Sex | None = None
    birth_date: date | None = None
    education: Education | None = None
    schooling: Schooling | None = None
    health: Health | None = None
    disabled: bool = False
    labour_ability: LabourAbility | None = None
    medical_insurance: bool = Field(default=False, description="新农合/城乡居民医保 participation")
    pension_insurance: bool = Field(default=False, description="城乡居民养老保险 participation")


class HouseholdFact(EventData):
    household_id: UUID
    effective_date: date
    reason: Reason


@event_type("registry.household.registered.v2", topic=Topic.REGISTRY)
class HouseholdRegisteredV2(HouseholdFact):
    """A poor household was filed (建档立卡) with its members and causes."""

    file_number: str = Field(min_length=1, max_length=40, description="建档立卡 file number")
    county_code: CountyCode
    village_code: VillageCode
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)
    members: list[Member] = Field(min_length=1, max_length=30)
    identified_year: int = Field(ge=2013, le=2100)

    @model_validator(mode="after")
    def _consistent(self) -> "HouseholdRegisteredV2":
        if not self.village_code.startswith(self.county_code):
            raise ValueError("village_code must lie within county_code")
        if sum(m.relation is Relation.HEAD for m in self.members) != 1:
            raise ValueError("exactly one member is the head of household")
        return self

    @classmethod
    def from_v1(cls, old: HouseholdRegisteredV1, effective: date) -> "HouseholdRegisteredV2":
        """Upcast a v1 filing: the head is named, the other members are not yet."""
        members = [
            Member(
                person_id=_legacy_person(old.household_id, i),
                name=old.head_name if i == 0 else "未登记",
                relation=Relation.HEAD if i == 0 else Relation.OTHER,
            )
            for i in range(old.size)
        ]
        return cls(
            household_id=old.household_id,
            effective_date=effective,
            reason="legacy v1 filing",
            file_number=str(old.household_id),
            county_code=old.county_code,
            village_code=old.village_code,
            poverty_attribute=PovertyAttribute.GENERAL,
            primary_cause=PovertyCause.OWN_EFFORT,
            members=members,
            identified_year=effective.year,
        )


def _legacy_person(household_id: UUID, index: int) -> UUID:
    return uuid5(household_id, f"member-{index}")


catalogue.upcaster(HouseholdRegisteredV1, HouseholdRegisteredV2.from_v1)


class SealedMember(BaseModel):
    """A household member as other services may know them: no name, no birth date, no
    health, no masked number in clear — those are ``sealed`` for the registry alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    person_id: UUID
    id_number_hash: str | None = Field(
        default=None, description="Keyed hash of the resident ID number; None on legacy records."
    )
    relation: Relation
    birth_year: int | None = Field(default=None, ge=1880, le=2100)
    birth_month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="Age rules count from the 1st of this month; the day is never published.",
    )
    education: Education | None = None
    schooling: Schooling | None = None
    has_disability: bool = False
    labour_ability: LabourAbility | None = None
    medical_insurance: bool = Field(default=False, description="新农合/城乡居民医保 participation")
    pension_insurance: bool = Field(default=False, description="城乡居民养老保险 participation")
    sealed: str | None = Field(
        default=None,
        max_length=4096,
        description=(
            "Name, sex, birth date, health and masked ID number, AES-256-GCM under the "
            "person's own data key in the registry's vault (base64); opaque to everyone "
            "else, unreadable by anyone once the person is erased."
        ),
    )

    @model_validator(mode="after")
    def _year_and_month_together(self) -> "SealedMember":
        if (self.birth_year is None) != (self.birth_month is None):
            raise ValueError("birth_year and birth_month come together")
        return self

    @classmethod
    def from_v2(cls, old: Member) -> "SealedMember":
        """What a v2 member may still say: its personal fields are dropped, not carried."""
        born = old.birth_date
        return cls(
            person_id=old.person_id,
            id_number_hash=old.id_number_hash,
            relation=old.relation,
            birth_year=born.year if born else None,
            birth_month=born.month if born else None,
            education=old.education,
            schooling=old.schooling,
            has_disability=old.disabled or old.health is Health.DISABLED,
            labour_ability=old.labour_ability,
            medical_insurance=old.medical_insurance,
            pension_insurance=old.pension_insurance,
        )


@event_type("registry.household.registered.v3", topic=Topic.REGISTRY)
class HouseholdRegisteredV3(HouseholdFact):
    """A poor household was filed (建档立卡) with its members (personal details sealed)."""

    file_number: str = Field(min_length=1, max_length=40, description="建档立卡 file number")
    county_code: CountyCode
    village_code: VillageCode
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)
    members: list[SealedMember] = Field(min_length=1, max_length=30)
    identified_year: int = Field(ge=2013, le=2100)

    @model_validator(mode="after")
    def _consistent(self) -> "HouseholdRegisteredV3":
        if not self.village_code.startswith(self.county_code):
            raise ValueError("village_code must lie within county_code")
        if sum(m.relation is Relation.HEAD for m in self.members) != 1:
            raise ValueError("exactly one member is the head of household")
        return self

    @classmethod
    def from_v2(cls, old: HouseholdRegisteredV2, _: date) -> "HouseholdRegisteredV3":
        fields = old.model_dump(exclude={"members"})
        return cls(**fields, members=[SealedMember.from_v2(m) for m in old.members])


catalogue.upcaster(HouseholdRegisteredV2, HouseholdRegisteredV3.from_v2)


@event_type("registry.household.member_added.v1", topic=Topic.REGISTRY)
class MemberAddedV1(HouseholdFact):
    """Someone joined the household (birth, marriage in, …)."""

    member: Member


@event_type("registry.household.member_removed.v1", topic=Topic.REGISTRY)
class MemberRemovedV1(HouseholdFact):
    """Someone left the household (death, marriage out, separate household, …)."""

    person_id: UUID


@event_type("registry.household.member_updated.v1", topic=Topic.REGISTRY)
class MemberUpdatedV1(HouseholdFact):
    """A member's circumstances changed; only the fields given changed."""

    person_id: UUID
    education: Education | None = None
    schooling: Schooling | None = None
    health: Health | None = None
    disabled: bool | None = None
    labour_ability: LabourAbility | None = None
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None


@event_type("registry.household.member_added.v2", topic=Topic.REGISTRY)
class MemberAddedV2(HouseholdFact):
    """Someone joined the household (birth, marriage in, …); personal details sealed."""

    member: SealedMember

    @classmethod
    def from_v1(cls, old: MemberAddedV1, _: date) -> "MemberAddedV2":
        return cls(**old.model_dump(exclude={"member"}), member=SealedMember.from_v2(old.member))


catalogue.upcaster(MemberAddedV1, MemberAddedV2.from_v1)


@event_type("registry.household.member_updated.v2", topic=Topic.REGISTRY)
class MemberUpdatedV2(HouseholdFact):
    """A member's circumstances changed; only the fields given changed. A change of health
    travels only inside ``sealed`` (the member's personal details, sealed anew)."""

    person_id: UUID
    education: Education | None = None
    schooling: Schooling | None = None
    has_disability: bool | None = None
    labour_ability: LabourAbility | None = None
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None
    sealed: str | None = Field(default=None, max_length=4096)

    @classmethod
    def from_v1(cls, old: MemberUpdatedV1, _: date) -> "MemberUpdatedV2":
        disabled = old.disabled
        if disabled is None and old.health is not None:
            disabled = old.health is Health.DISABLED or None
        fields = old.model_dump(exclude={"health", "disabled"})
        return cls(**fields, has_disability=disabled)


catalogue.upcaster(MemberUpdatedV1, MemberUpdatedV2.from_v1)


@event_type("registry.household.identity_corrected.v1", topic=Topic.REGISTRY)
class IdentityCorrectedV1(HouseholdFact):
    """A member's resident ID number was entered wrongly (更正), and with it the birth date
    and sex it carries: the new keyed hash, birth year and month, and the member's details
    re-sealed. ``reason`` (required) names the evidence."""

    person_id: UUID
    reason: str = Field(
        min_length=1, max_length=500, description="Why, on what evidence (更正理由)"
    )
    id_number_hash: str = Field(min_length=1, max_length=128)
    birth_year: int = Field(ge=1900, le=2100)
    birth_month: int = Field(ge=1, le=12)
    sealed: str = Field(max_length=4096, description="Details sealed under the person's key")


@event_type("registry.household.causes_recorded.v1", topic=Topic.REGISTRY)
class CausesRecordedV1(HouseholdFact):
    """The causes of poverty (致贫原因) were established anew."""

    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)


@event_type("registry.household.income_recorded.v1", topic=Topic.REGISTRY)
class IncomeRecordedV1(HouseholdFact):
    """The household's net income of a year, by component, and per head (人均纯收入)."""

    year: int = Field(ge=2013, le=2100)
    wages: FenTotal = Field(description="工资性收入")
    production_and_business: FenTotal = Field(description="生产经营性收入")
    property: FenTotal = Field(description="财产性收入")
    transfers: FenTotal = Field(description="转移性收入")
    members: int = Field(ge=1, description="Household size the per-head figure divides by")
    per_head: FenTotal


@event_type("registry.household.income_corrected.v1", topic=Topic.REGISTRY)
class IncomeCorrectedV1(IncomeRecordedV1):
    """A year's income recorded wrongly, corrected (更正): it replaces the year's figure
    from its effective date; the original stays in the history. ``reason`` is required."""

    reason: str = Field(
        min_length=1, max_length=500, description="Why, on what evidence (更正理由)"
    )


@event_type("registry.household.conditions_assessed.v1", topic=Topic.REGISTRY)
class ConditionsAssessedV1(HouseholdFact):
    """Safe housing (住房安全) and safe drinking water (饮水安全) as last assessed."""

    housing_safe: bool
    drinking_water_safe: bool


class NeedItem(BaseModel):
    """An item of a needs list (需求清单), a household's or a village's."""

    need_id: UUID
    kind: MeasureKind
    description: str = Field(min_length=1, max_length=500)


class MeasureItem(BaseModel):
    """An assistance measure (帮扶措施), planned with its funds and due date."""

    measure_id: UUID
    kind: MeasureKind
    plan: str = Field(min_length=1, max_length=1000)
    funds: FenTotal
    due_date: date
    need_id: UUID | None = None


class ProgressItem(BaseModel):
    """Progress on a measure, entered in the work ledger (工作台账)."""

    measure_id: UUID
    progress_percent: int = Field(ge=0, le=100)
    spent: FenTotal
    note: str = Field(default="", max_length=1000)
    completed: bool


@event_type("registry.household.need_listed.v1", topic=Topic.REGISTRY)
class NeedListedV1(HouseholdFact, NeedItem):
    """An item of the household's needs list (需求清单)."""


@event_type("registry.household.measure_planned.v1", topic=Topic.REGISTRY)
class MeasurePlannedV1(HouseholdFact, MeasureItem):
    """An assistance measure (帮扶措施) for the household was planned."""


@event_type("registry.household.measure_progressed.v1", topic=Topic.REGISTRY)
class MeasureProgressedV1(HouseholdFact, ProgressItem):
    """Progress on one of the household's measures (工作台账)."""


@event_type("registry.household.responsibility_assigned.v1", topic=Topic.REGISTRY)
class ResponsibilityAssignedV1(HouseholdFact):
    """The responsible cadre and unit (帮扶责任人/单位) — 不脱贫不脱钩."""

    cadre_name: str = Field(min_length=1, max_length=50)
    cadre_unit: str = Field(min_length=1, max_length=200)


@event_type("registry.household.relocation_recorded.v1", topic=Topic.REGISTRY)
class RelocationRecordedV1(HouseholdFact):
    """Whether the household is to be relocated (易地搬迁) and where."""

    relocating: bool
    resettlement_site: str | None = Field(default=None, max_length=200)


@event_type("registry.household.cooperative_joined.v1", topic=Topic.REGISTRY)
class CooperativeJoinedV1(HouseholdFact):
    """The household joined a farmers' cooperative (农民专业合作社)."""

    cooperative: str = Field(min_length=1, max_length=200)


class StatusChanged(HouseholdFact):
    """Base of the lifecycle events: each names the status it leads to."""

    status: HouseholdStatus


@event_type("registry.household.assistance_started.v1", topic=Topic.REGISTRY)
class AssistanceStartedV1(StatusChanged):
    """Assistance began (帮扶), or resumed after a rejected exit."""


@event_type("registry.household.exit_proposed.v1", topic=Topic.REGISTRY)
class ExitProposedV1(StatusChanged):
    """The village's democratic appraisal (民主评议) proposed the household for exit."""

    appraisal_date: date


@event_type("registry.household.exit_publicised.v1", topic=Topic.REGISTRY)
class ExitPublicisedV1(StatusChanged):
    """The proposed exit is on public notice (公示) for this window; evaluation verifies it."""

    notice_from: date
    notice_until: date


@event_type("registry.household.exited.v1", topic=Topic.REGISTRY)
class HouseholdExitedV1(StatusChanged):
    """The household left poverty (脱贫销号) on the evaluation service's verification."""

    verification_id: UUID


@event_type("registry.household.exit_rejected.v1", topic=Topic.REGISTRY)
class ExitRejectedV1(StatusChanged):
    """Verification failed; the household returns to assistance with the failed criteria."""

    verification_id: UUID
    failed_criteria: list[str]


@event_type("registry.household.exit_annulled.v1", topic=Topic.REGISTRY)
class ExitAnnulledV1(StatusChanged):
    """A correction: an exit recorded by mistake never took effect. Dated the exit's own
    day, from which the household is assisted again; ``reason`` is required."""

    reason: str = Field(
        min_length=1, max_length=500, description="Why, on what evidence (更正理由)"
    )


@event_type("registry.household.returned_to_poverty.v1", topic=Topic.REGISTRY)
class ReturnedToPovertyV1(StatusChanged):
    """An exited household fell back (返贫) and is listed again, with the cause."""

    cause: PovertyCause


@event_type("registry.household.removed.v1", topic=Topic.REGISTRY)
class HouseholdRemovedV1(StatusChanged):
    """The household was wrongly identified and is removed from the register (清退)."""


class VillageFact(EventData):
    village_code: VillageCode
    effective_date: date
    reason: Reason


@event_type("registry.village.registered.v1", topic=Topic.REGISTRY)
class VillageRegisteredV1(VillageFact):
    """A village entered the register, with the denominator of its poverty incidence."""

    name: str = Field(min_length=1, max_length=100)
    poor: bool = Field(description="A registered poor village (贫困村)")
    rural_population: int = Field(ge=0, description="农村户籍人口, the incidence denominator")
    hardship_belt: str | None = Field(
        default=None, max_length=100, description="The special-hardship belt (特困片带) it is in"
    )
    hardship_belt_code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$",
        description="The belt's code in the provincial list, its name in hardship_belt. "
        "Absent with a hardship_belt: a name entered as free text before belts were "
        "reference data (legacy)",
    )


@event_type("registry.village.responsibility_assigned.v1", topic=Topic.REGISTRY)
class VillageResponsibilityAssignedV1(VillageFact):
    """First secretary (第一书记), resident work team (驻村工作队) and responsible unit."""

    first_secretary: str = Field(min_length=1, max_length=50)
    work_team: list[str] = Field(min_length=1, max_length=20)
    responsible_unit: str = Field(min_length=1, max_length=200)


@event_type("registry.village.profile_recorded.v1", topic=Topic.REGISTRY)
class VillageProfileRecordedV1(VillageFact):
    """The village's standing: poor or not, population, cooperatives, mutual-aid fund."""

    poor: bool
    rural_population: int = Field(ge=0)
    cooperatives: int = Field(ge=0, description="农民专业合作社 in the village")
    mutual_aid_fund: FenTotal = Field(description="村级互助资金 (≥ 500,000 yuan per poor village)")


@event_type("registry.village.conditions_recorded.v1", topic=Topic.REGISTRY)
class VillageConditionsRecordedV1(VillageFact):
    """The village's infrastructure and services as the county assessed them (贫困村退出:
    村由县负责验收), each given from ``effective_date`` on; a condition left out keeps its
    earlier record. Gansu 2016 opinions, 四 7 and 9: 村道硬化, 饮水安全, 危房改造, 通动力电,
    宽带, 标准化卫生室 and 村医, 教育 and 文化 services, 产业合作组织."""

    source: str = Field(
        min_length=1, max_length=200, description="Who assessed, in which document (验收依据)"
    )
    road_access: bool | None = Field(
        default=None, description="通村硬化路 (asphalt or cement road)"
    )
    safe_drinking_water: bool | None = Field(default=None, description="安全饮水")
    power_supply: bool | None = Field(default=None, description="通动力电")
    broadband: bool | None = Field(default=None, description="宽带 (通宽带)")
    village_clinic: bool | None = Field(
        default=None, description="标准化卫生室 with a qualified 村医"
    )
    school_access: bool | None = Field(
        default=None, description="就学: children can reach a school"
    )
    cultural_venue: bool | None = Field(default=None, description="综合性文化中心")
    industry: bool | None = Field(
        default=None, description="an industry with a cooperative (产业合作组织)"
    )
    collective_income: FenTotal | None = Field(
        default=None, description="村集体经济收入 of the year, fen"
    )
    dangerous_houses: Count | None = Field(
        default=None, description="危房 of poor households to renovate (with the next)"
    )
    dangerous_houses_renovated: Count | None = Field(
        default=None, description="of those, renovated (危房改造)"
    )

    @model_validator(mode="after")
    def _something_and_whole_housing(self) -> "VillageConditionsRecordedV1":
        if all(getattr(self, name) is None for name in VILLAGE_CONDITIONS):
            raise ValueError("record at least one condition")
        renovated, dangerous = self.dangerous_houses_renovated, self.dangerous_houses
        if (renovated is None) != (dangerous is None):
            raise ValueError("dangerous_houses and dangerous_houses_renovated come together")
        if renovated is not None and dangerous is not None and renovated > dangerous:
            raise ValueError("dangerous_houses_renovated exceeds dangerous_houses")
        return self


VILLAGE_CONDITIONS = (
    "road_access",
    "safe_drinking_water",
    "power_supply",
    "broadband",
    "village_clinic",
    "school_access",
    "cultural_venue",
    "industry",
    "collective_income",
    "dangerous_houses",
    "dangerous_houses_renovated",
)


@event_type("registry.village.need_listed.v1", topic=Topic.REGISTRY)
class VillageNeedListedV1(VillageFact, NeedItem):
    """An item of the village's needs list (roads, water, power, broadband, …)."""


@event_type("registry.village.measure_planned.v1", topic=Topic.REGISTRY)
class VillageMeasurePlannedV1(VillageFact, MeasureItem):
    """A village-level measure (因村施策) was planned."""


@event_type("registry.village.measure_progressed.v1", topic=Topic.REGISTRY)
class VillageMeasureProgressedV1(VillageFact, ProgressItem):
    """Progress on one of the village's measures (工作台账)."""


@event_type("registry.household.person_erased.v1", topic=Topic.REGISTRY)
class PersonErasedV1(HouseholdFact):
    """A former member's deletion request was honoured: the registry destroyed the person's
    data key (crypto-shredding), so their number and every sealed detail in every event are
    unreadable for good. Every service forgets the person on this event: it drops what it
    keeps of them (identity hash, birth year and month, schooling, …) and keeps at most
    anonymous counts. ``reason`` cites the request."""

    person_id: UUID


# Every lifecycle step, corrections included: a consumer keeping a household's status
# subscribes to all of them, so a new step reaches every one (one list, not four).
STATUS_CHANGES: tuple[type[StatusChanged], ...] = tuple(
    m for m in catalogue.types.values() if isinstance(m, type) and issubclass(m, StatusChanged)
)
# A year's income, as first recorded or as corrected.
INCOMES: tuple[type[IncomeRecordedV1], ...] = (IncomeRecordedV1, IncomeCorrectedV1)
