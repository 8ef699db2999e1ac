"""The poor household (贫困户), the registry's central aggregate."""

from dataclasses import dataclass

from tuopin_eventkit.aggregate import Aggregate, InvalidTransition, RuleViolation


@dataclass(frozen=True)
class HouseholdRegistered:
    """The household was filed (建档立卡) in a village of a county."""

    household_id: str
    county_code: str
    village_code: str
    head_name: str
    size: int


class Household(Aggregate):
    county_code: str
    village_code: str
    head_name: str
    size: int
    status: str = "unregistered"

    @classmethod
    def register(
        cls, household_id: str, county_code: str, village_code: str, head_name: str, size: int
    ) -> "Household":
        if not village_code.startswith(county_code):
            raise RuleViolation(f"village {village_code} does not lie in county {county_code}")
        if size < 1:
            raise RuleViolation("a household has at least one member")
        household = cls(household_id)
        household.record(
            HouseholdRegistered(household_id, county_code, village_code, head_name.strip(), size)
        )
        return household

    def apply(self, event: object) -> None:
        match event:
            case HouseholdRegistered():
                if self.status != "unregistered":
                    raise InvalidTransition("household", self.status, "register")
                self.county_code, self.village_code = event.county_code, event.village_code
                self.head_name, self.size = event.head_name, event.size
                self.status = "identified"
            case _:
                raise TypeError(f"Household cannot apply {type(event).__name__}")
