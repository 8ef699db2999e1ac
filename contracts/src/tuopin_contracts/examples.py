"""Well-formed example events, for tests and documentation of every consumer."""

from datetime import UTC, date, datetime
from uuid import uuid4

from tuopin_contracts.envelope import Envelope
from tuopin_contracts.events.registry import HouseholdRegisteredV2, Member
from tuopin_contracts.vocabulary import PovertyAttribute, PovertyCause, Relation


def household_registered(
    county_code: str = "621121", head_name: str = "李明", size: int = 3
) -> Envelope:
    household_id = uuid4()
    members = [
        Member(
            person_id=uuid4(),
            name=head_name if i == 0 else f"成员{i}",
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
        )
        for i in range(size)
    ]
    data = HouseholdRegisteredV2(
        household_id=household_id,
        effective_date=date(2016, 4, 1),
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
