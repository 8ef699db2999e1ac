"""A household's filing (建档立卡) and how its members travel: what every household fact
says (household, business date, reason), the filing's three versions upcast in turn, and
the member as other services may know them (``SealedMember``: facts to join and count on,
the rest sealed under the person's own key)."""

from datetime import date
from typing import Annotated, Generic, Self, TypeVar
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuopin_contracts.catalogue import EventData, catalogue, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import (
    Education,
    Health,
    LabourAbility,
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
        return cls.model_validate(cls.fields_from_v2(old))

    @staticmethod
    def fields_from_v2(old: Member) -> dict[str, object]:
        """``from_v2``'s fields, not yet validated."""
        born = old.birth_date
        return {
            "person_id": old.person_id,
            "id_number_hash": old.id_number_hash,
            "relation": old.relation,
            "birth_year": born.year if born else None,
            "birth_month": born.month if born else None,
            "education": old.education,
            "schooling": old.schooling,
            "has_disability": old.disabled or old.health is Health.DISABLED,
            "labour_ability": old.labour_ability,
            "medical_insurance": old.medical_insurance,
            "pension_insurance": old.pension_insurance,
        }


M = TypeVar("M", bound=Member | SealedMember)


class HouseholdFact(EventData):
    household_id: UUID
    effective_date: date
    reason: Reason


class Filing(HouseholdFact, Generic[M]):
    """What the filing's versions after the first say; they differ in how members travel."""

    file_number: str = Field(min_length=1, max_length=40, description="建档立卡 file number")
    county_code: CountyCode
    village_code: VillageCode
    poverty_attribute: PovertyAttribute
    primary_cause: PovertyCause
    secondary_causes: list[PovertyCause] = Field(default_factory=list, max_length=5)
    members: list[M] = Field(min_length=1, max_length=30)
    identified_year: int = Field(ge=2013, le=2100)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.village_code.startswith(self.county_code):
            raise ValueError("village_code must lie within county_code")
        if sum(m.relation is Relation.HEAD for m in self.members) != 1:
            raise ValueError("exactly one member is the head of household")
        return self


@event_type("registry.household.registered.v2", topic=Topic.REGISTRY)
class HouseholdRegisteredV2(Filing[Member]):
    """A poor household was filed (建档立卡) with its members and causes."""

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


@event_type("registry.household.registered.v3", topic=Topic.REGISTRY)
class HouseholdRegisteredV3(Filing[SealedMember]):
    """A poor household was filed (建档立卡) with its members (personal details sealed)."""

    @classmethod
    def from_v2(cls, old: HouseholdRegisteredV2, _: date) -> "HouseholdRegisteredV3":
        # One validation of the whole filing, its members given as fields: a replay upcasts
        # every filing, and validating each member as a model of its own, after a dump of
        # the household, cost more than reading the filing.
        fields = {name: getattr(old, name) for name in _CARRIED_FROM_V2}
        members = [SealedMember.fields_from_v2(m) for m in old.members]
        return cls.model_validate({**fields, "members": members})


_CARRIED_FROM_V2 = tuple(name for name in HouseholdRegisteredV2.model_fields if name != "members")


catalogue.upcaster(HouseholdRegisteredV2, HouseholdRegisteredV3.from_v2)
