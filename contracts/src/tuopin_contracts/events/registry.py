"""Events the registry (建档立卡) publishes."""

from uuid import UUID

from pydantic import Field, model_validator

from tuopin_contracts.catalogue import EventData, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic


@event_type("registry.household.registered.v1", topic=Topic.REGISTRY)
class HouseholdRegisteredV1(EventData):
    """A poor household was filed (建档立卡) in a village."""

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
