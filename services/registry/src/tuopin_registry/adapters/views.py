"""What the registry's report and reference reads answer: one model per answer, so the
API document says each field."""

from uuid import UUID

from pydantic import Field

from tuopin_eventkit.http import Answer


class Counted(Answer):
    households: int
    people: int


class RegionCount(Counted):
    region: str
    by_status: dict[str, Counted]


class Summary(Answer):
    """Households and people by region and status."""

    region: str
    level: str
    regions: list[RegionCount]


class HouseholdWithoutCadre(Answer):
    household_id: UUID
    file_number: str
    village_code: str
    status: str


class VillageWithoutTeam(Answer):
    village_code: str
    name: str


class WithoutResponsible(Answer):
    """不脱贫不脱钩: households in the programme and poor villages nobody answers for."""

    households: list[HouseholdWithoutCadre]
    villages: list[VillageWithoutTeam]


class Region(Answer):
    code: str
    name: str
    level: str = Field(description="province (省), city (地级) or county (县级)")
    parent_code: str | None
    poverty_county: bool = Field(description="A poor county (贫困县) under the 2016 policy")
    poverty_area: str | None


class RegionWithChildren(Region):
    children: list[Region]


class Belt(Answer):
    """A special-hardship belt (特困片带): the counties and townships it spans."""

    code: str
    name: str
    counties: list[str]
    townships: list[str] = Field(description="Empty: whole counties")
    source: str


class OneBelt(Belt):
    version: str


class Belts(Answer):
    version: str
    source: str
    expected: int = Field(description="Belts the seed names (一.1)")
    loaded: int
    complete: bool
    items: list[Belt]
