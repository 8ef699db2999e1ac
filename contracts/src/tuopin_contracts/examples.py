"""Well-formed example events, for tests and documentation of every consumer."""

from datetime import UTC, date, datetime
from uuid import uuid4

from tuopin_contracts.envelope import Envelope
from tuopin_contracts.events.registry import HouseholdRegisteredV3, SealedMember
from tuopin_contracts.vocabulary import PovertyAttribute, PovertyCause, Relation


def household_registered(
    county_code: str = "621121", size: int = 3, reason: str | None = None
) -> Envelope:
    household_id = uuid4()
    members = [
        SealedMember(person_id=uuid4(), relation=Relation.HEAD if i == 0 else Relation.CHILD)
        for i in range(size)
    ]
    data = HouseholdRegisteredV3(
        household_id=household_id,
        effective_date=date(2016, 4, 1),
        reason=reason,
        file_number=f"F{household_id.hex[:10]}",
        county_code=county_code,
        village_code=county_code + "100201",
        poverty_attribute=PovertyAttribute.GENERAL,
        primary_cause=PovertyCause.ILLNESS,
        members=members,
        identified_year=2016,
    )
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=str(household_id),
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        sequence=1,
    )
