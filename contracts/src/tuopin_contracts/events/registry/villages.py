"""A village in the register: its registration, responsibility (第一书记, 驻村工作队),
profile, infrastructure and services as the county assessed them, and its needs list and
measures (因村施策)."""

from datetime import date

from pydantic import Field, model_validator

from tuopin_contracts.bounds import Count, FenTotal
from tuopin_contracts.catalogue import EventData, event_type
from tuopin_contracts.events.registry.filing import Reason
from tuopin_contracts.events.registry.households import MeasureItem, NeedItem, ProgressItem
from tuopin_contracts.regions import VillageCode
from tuopin_contracts.topics import Topic


class VillageFact(EventData):
    village_code: VillageCode
    effective_date: date
    reason: Reason


@event_type("registry.village.registered.v1", topic=Topic.REGISTRY)
class VillageRegisteredV1(VillageFact):
    """A village entered the register, with the denominator of its poverty incidence."""

    name: str = Field(min_length=1, max_length=100)
    poor: bool = Field(description="A registered poor village (贫困村)")
    rural_population: int = Field(ge=0, description="农村户籍人口, the incidence denominator")
    hardship_belt: str | None = Field(
        default=None, max_length=100, description="The special-hardship belt (特困片带) it is in"
    )
    hardship_belt_code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9][A-Z0-9-]{0,19}$",
        description="The belt's code in the provincial list, its name in hardship_belt. "
        "Absent with a hardship_belt: a name entered as free text before belts were "
        "reference data (legacy)",
    )


@event_type("registry.village.responsibility_assigned.v1", topic=Topic.REGISTRY)
class VillageResponsibilityAssignedV1(VillageFact):
    """First secretary (第一书记), resident work team (驻村工作队) and responsible unit."""

    first_secretary: str = Field(min_length=1, max_length=50)
    work_team: list[str] = Field(min_length=1, max_length=20)
    responsible_unit: str = Field(min_length=1, max_length=200)


@event_type("registry.village.profile_recorded.v1", topic=Topic.REGISTRY)
class VillageProfileRecordedV1(VillageFact):
    """The village's standing: poor or not, population, cooperatives, mutual-aid fund."""

    poor: bool
    rural_population: int = Field(ge=0)
    cooperatives: int = Field(ge=0, description="农民专业合作社 in the village")
    mutual_aid_fund: FenTotal = Field(description="村级互助资金 (≥ 500,000 yuan per poor village)")


@event_type("registry.village.conditions_recorded.v1", topic=Topic.REGISTRY)
class VillageConditionsRecordedV1(VillageFact):
    """The village's infrastructure and services as the county assessed them (贫困村退出:
    村由县负责验收), each given from ``effective_date`` on; a condition left out keeps its
    earlier record. Gansu 2016 opinions, 四 7 and 9: 村道硬化, 饮水安全, 危房改造, 通动力电,
    宽带, 标准化卫生室 and 村医, 教育 and 文化 services, 产业合作组织."""

    source: str = Field(
        min_length=1, max_length=200, description="Who assessed, in which document (验收依据)"
    )
    road_access: bool | None = Field(
        default=None, description="通村硬化路 (asphalt or cement road)"
    )
    safe_drinking_water: bool | None = Field(default=None, description="安全饮水")
    power_supply: bool | None = Field(default=None, description="通动力电")
    broadband: bool | None = Field(default=None, description="宽带 (通宽带)")
    village_clinic: bool | None = Field(
        default=None, description="标准化卫生室 with a qualified 村医"
    )
    school_access: bool | None = Field(
        default=None, description="就学: children can reach a school"
    )
    cultural_venue: bool | None = Field(default=None, description="综合性文化中心")
    industry: bool | None = Field(
        default=None, description="an industry with a cooperative (产业合作组织)"
    )
    collective_income: FenTotal | None = Field(
        default=None, description="村集体经济收入 of the year, fen"
    )
    dangerous_houses: Count | None = Field(
        default=None, description="危房 of poor households to renovate (with the next)"
    )
    dangerous_houses_renovated: Count | None = Field(
        default=None, description="of those, renovated (危房改造)"
    )

    @model_validator(mode="after")
    def _something_and_whole_housing(self) -> "VillageConditionsRecordedV1":
        if all(getattr(self, name) is None for name in VILLAGE_CONDITIONS):
            raise ValueError("record at least one condition")
        renovated, dangerous = self.dangerous_houses_renovated, self.dangerous_houses
        if (renovated is None) != (dangerous is None):
            raise ValueError("dangerous_houses and dangerous_houses_renovated come together")
        if renovated is not None and dangerous is not None and renovated > dangerous:
            raise ValueError("dangerous_houses_renovated exceeds dangerous_houses")
        return self


# The conditions met or not, then the figures.
VILLAGE_FLAGS = (
    "road_access",
    "safe_drinking_water",
    "power_supply",
    "broadband",
    "village_clinic",
    "school_access",
    "cultural_venue",
    "industry",
)
VILLAGE_CONDITIONS = (
    *VILLAGE_FLAGS,
    "collective_income",
    "dangerous_houses",
    "dangerous_houses_renovated",
)


@event_type("registry.village.need_listed.v1", topic=Topic.REGISTRY)
class VillageNeedListedV1(VillageFact, NeedItem):
    """An item of the village's needs list (roads, water, power, broadband, …)."""


@event_type("registry.village.measure_planned.v1", topic=Topic.REGISTRY)
class VillageMeasurePlannedV1(VillageFact, MeasureItem):
    """A village-level measure (因村施策) was planned."""


@event_type("registry.village.measure_progressed.v1", topic=Topic.REGISTRY)
class VillageMeasureProgressedV1(VillageFact, ProgressItem):
    """Progress on one of the village's measures (工作台账)."""
