"""A household's members over time: added, gone, their circumstances changed, an ID
number entered wrongly corrected; v1 of the first and third upcast to the sealed v2."""

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from tuopin_contracts.catalogue import catalogue, event_type
from tuopin_contracts.events.registry.filing import HouseholdFact, Member, SealedMember
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import (
    Education,
    Health,
    LabourAbility,
    Schooling,
)


class MemberCircumstances(BaseModel):
    """What of a member's circumstances a change may give in clear, each None when it
    stays: the fields of a member's change, in the event and in the office's request alike."""

    education: Education | None = None
    schooling: Schooling | None = None
    labour_ability: LabourAbility | None = None
    medical_insurance: bool | None = None
    pension_insurance: bool | None = None


@event_type("registry.household.member_added.v1", topic=Topic.REGISTRY)
class MemberAddedV1(HouseholdFact):
    """Someone joined the household (birth, marriage in, …)."""

    member: Member


@event_type("registry.household.member_removed.v1", topic=Topic.REGISTRY)
class MemberRemovedV1(HouseholdFact):
    """Someone left the household (death, marriage out, separate household, …)."""

    person_id: UUID


@event_type("registry.household.member_updated.v1", topic=Topic.REGISTRY)
class MemberUpdatedV1(MemberCircumstances, HouseholdFact):
    """A member's circumstances changed; only the fields given changed."""

    person_id: UUID
    health: Health | None = None
    disabled: bool | None = None


@event_type("registry.household.member_added.v2", topic=Topic.REGISTRY)
class MemberAddedV2(HouseholdFact):
    """Someone joined the household (birth, marriage in, …); personal details sealed."""

    member: SealedMember

    @classmethod
    def from_v1(cls, old: MemberAddedV1, _: date) -> "MemberAddedV2":
        return cls(**old.model_dump(exclude={"member"}), member=SealedMember.from_v2(old.member))


catalogue.upcaster(MemberAddedV1, MemberAddedV2.from_v1)


@event_type("registry.household.member_updated.v2", topic=Topic.REGISTRY)
class MemberUpdatedV2(MemberCircumstances, HouseholdFact):
    """A member's circumstances changed; only the fields given changed. A change of health
    travels only inside ``sealed`` (the member's personal details, sealed anew)."""

    person_id: UUID
    has_disability: bool | None = None
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
