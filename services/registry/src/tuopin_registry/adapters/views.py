"""What the registry's report and reference reads answer: one model per answer, so the
API document says each field."""

from datetime import date
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


class VillageRow(Answer):
    """A village as the register lists it (行政村)."""

    village_code: str
    name: str
    county_code: str
    poor: bool = Field(description="A registered poor village (贫困村)")
    rural_population: int
    hardship_belt: str | None = Field(description="The belt's name (legacy: free text)")
    hardship_belt_code: str | None
    first_secretary: str | None = Field(description="第一书记")
    work_team: list[str] | None = Field(description="驻村工作队")
    responsible_unit: str | None
    cooperatives: int
    mutual_aid_fund: int = Field(description="Fen")
    version: int


class Villages(Answer):
    items: list[VillageRow]


class NoticeEntry(Answer):
    file_number: str
    head_name: str = Field(description="Partly masked")
    head_id_number: str = Field(description="Wholly masked: not one digit is published")
    size: int
    poverty_attribute: str
    primary_cause: str
    notice_from: date | None = None
    notice_until: date | None = None


class PublicNotice(Answer):
    """公告公示: newly identified households and exits on notice."""

    village_code: str
    identified: list[NoticeEntry]
    exit_publicised: list[NoticeEntry]
