"""Well-formed example events, for tests and documentation of every consumer."""

from datetime import UTC, datetime
from uuid import uuid4

from tuopin_contracts.envelope import Envelope
from tuopin_contracts.events.registry import HouseholdRegisteredV1


def household_registered(
    county_code: str = "621121", head_name: str = "李明", size: int = 3
) -> Envelope:
    data = HouseholdRegisteredV1(
        household_id=uuid4(),
        county_code=county_code,
        village_code=county_code + "100201",
        head_name=head_name,
        size=size,
    )
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=data.TYPE,
        subject=str(data.household_id),
        time=datetime.now(UTC),
        data=data.model_dump(mode="json"),
        sequence=1,
    )
