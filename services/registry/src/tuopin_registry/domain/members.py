"""A household's members as the household keeps them, and what of a member may change."""

from dataclasses import dataclass
from datetime import date

from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import Health, Sex

# A member as the household keeps them: the contract's, personal details sealed.
Member = reg.SealedMember
# What a member's change may change (those it gives, not None).
MEMBER_CHANGES = tuple(
    name
    for name in reg.MemberUpdatedV2.model_fields
    if name not in reg.HouseholdFact.model_fields and name != "person_id"
)


@dataclass(frozen=True, kw_only=True)
class Details:
    """The personal details a member's ``sealed`` holds, as an office entered them."""

    name: str
    sex: Sex | None = None
    birth_date: date | None = None
    health: Health | None = None
    id_number_masked: str | None = None
