"""The village (行政村): its place in the hierarchy, its poverty standing, who answers
for it (第一书记, 驻村工作队, 帮扶单位 — 不脱贫不脱钩) and its infrastructure and services
as the county assessed them (村由县负责验收), which the village's exit is judged on."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from tuopin_eventkit.aggregate import Aggregate, InvalidTransition, RuleViolation
from tuopin_registry.domain.ledger import Ledger, MeasureItem, NeedItem, ProgressItem


@dataclass(frozen=True, kw_only=True)
class VillageEvent:
    village_code: str
    effective_date: date
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class VillageRegistered(VillageEvent):
    name: str
    poor: bool
    rural_population: int
    hardship_belt: str | None = None  # 特困片带: its name (free text in legacy events)
    hardship_belt_code: str | None = None  # its code in the provincial list


@dataclass(frozen=True, kw_only=True)
class VillageResponsibilityAssigned(VillageEvent):
    first_secretary: str
    work_team: list[str]
    responsible_unit: str


@dataclass(frozen=True, kw_only=True)
class VillageProfileRecorded(VillageEvent):
    poor: bool
    rural_population: int
    cooperatives: int
    mutual_aid_fund: int  # fen


@dataclass(frozen=True, kw_only=True)
class VillageConditionsRecorded(VillageEvent):
    """Some of the village's conditions, each in force from ``effective_date``; None: not
    assessed this time (the earlier record stands)."""

    source: str
    road_access: bool | None = None
    safe_drinking_water: bool | None = None
    power_supply: bool | None = None
    broadband: bool | None = None
    village_clinic: bool | None = None
    school_access: bool | None = None
    cultural_venue: bool | None = None
    industry: bool | None = None
    collective_income: int | None = None  # fen
    dangerous_houses: int | None = None
    dangerous_houses_renovated: int | None = None


CONDITIONS = tuple(
    f for f in VillageConditionsRecorded.__dataclass_fields__ if f not in {
        *VillageEvent.__dataclass_fields__, "source"}
)  # fmt: skip


@dataclass(frozen=True)
class Condition:
    """One condition as recorded: its value, from when, on whose assessment."""

    value: bool | int
    effective_date: date
    source: str


@dataclass(frozen=True, kw_only=True)
class VillageNeedListed(VillageEvent, NeedItem):
    pass


@dataclass(frozen=True, kw_only=True)
class VillageMeasurePlanned(VillageEvent, MeasureItem):
    pass


@dataclass(frozen=True, kw_only=True)
class VillageMeasureProgressed(VillageEvent, ProgressItem):
    pass


class Village(Aggregate):
    registered: bool
    poor: bool
    rural_population: int
    ledger: Ledger
    conditions: dict[str, Condition]

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.registered, self.poor, self.rural_population = False, False, 0
        self.ledger = Ledger()
        self.conditions = {}

    @classmethod
    def register(cls, event: VillageRegistered, county_known: bool) -> "Village":
        if not county_known:
            raise RuleViolation(f"village {event.village_code} lies in no known Gansu county")
        village = cls(event.village_code)
        village.record(event)
        return village

    def assign_responsibility(self, event: VillageResponsibilityAssigned) -> None:
        self._registered()
        if not event.work_team:
            raise RuleViolation("a resident work team (驻村工作队) has at least one member")
        self.record(event)

    def record_profile(self, event: VillageProfileRecorded) -> None:
        self._registered()
        self.record(event)

    def record_conditions(self, event: VillageConditionsRecorded) -> None:
        self._registered()
        given = {name: getattr(event, name) for name in CONDITIONS}
        if all(value is None for value in given.values()):
            raise RuleViolation("record at least one condition")
        dangerous, renovated = event.dangerous_houses, event.dangerous_houses_renovated
        if (dangerous is None) != (renovated is None):
            raise RuleViolation("dangerous_houses and dangerous_houses_renovated come together")
        if dangerous is not None and renovated is not None and renovated > dangerous:
            raise RuleViolation(
                f"{renovated} dangerous houses renovated of only {dangerous} (危房改造)"
            )
        self.record(event)

    def list_need(self, need: VillageNeedListed) -> None:
        self._registered()
        self.ledger.check_need(need)
        self.record(need)

    def plan_measure(self, plan: VillageMeasurePlanned) -> None:
        self._registered()
        self.ledger.check_plan(plan)
        self.record(plan)

    def record_progress(self, progress: VillageMeasureProgressed) -> None:
        self._registered()
        self.ledger.check_progress(progress)
        self.record(progress)

    def _condition(self, event: VillageConditionsRecorded) -> None:
        """A back-dated record, applied after a later-dated one, does not replace it: the
        condition in force is the latest effective one (the last recorded of a day)."""
        for name in CONDITIONS:
            value, held = getattr(event, name), self.conditions.get(name)
            if value is not None and (held is None or held.effective_date <= event.effective_date):
                self.conditions[name] = Condition(value, event.effective_date, event.source)

    def _registered(self) -> None:
        if not self.registered:
            raise InvalidTransition("village", "unregistered", "change it")

    def apply(self, event: Any) -> None:
        match event:
            case VillageRegistered() | VillageProfileRecorded():
                self.registered = True
                self.poor, self.rural_population = event.poor, event.rural_population
            case VillageResponsibilityAssigned():
                pass
            case VillageConditionsRecorded():
                self._condition(event)
            case VillageNeedListed() | VillageMeasurePlanned() | VillageMeasureProgressed():
                self.ledger.apply(event)
            case _:
                raise TypeError(f"Village cannot apply {type(event).__name__}")
