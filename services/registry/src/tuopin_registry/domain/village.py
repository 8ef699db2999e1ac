"""The village (行政村): its place in the hierarchy, its poverty standing, who answers
for it (第一书记, 驻村工作队, 帮扶单位 — 不脱贫不脱钩) and its infrastructure and services
as the county assessed them (村由县负责验收), which the village's exit is judged on."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from tuopin_contracts.events import registry as reg
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition, RuleViolation
from tuopin_registry.domain.ledger import Ledger

# The conditions a county assesses, each kept with its date and source.
CONDITIONS = reg.VILLAGE_CONDITIONS


@dataclass(frozen=True)
class Condition:
    """One condition as recorded: its value, from when, on whose assessment."""

    value: bool | int
    effective_date: date
    source: str


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
    def register(cls, event: reg.VillageRegisteredV1, county_known: bool) -> "Village":
        if not county_known:
            raise RuleViolation(f"village {event.village_code} lies in no known Gansu county")
        village = cls(event.village_code)
        village.record(event)
        return village

    def assign_responsibility(self, event: reg.VillageResponsibilityAssignedV1) -> None:
        """A resident work team (驻村工作队) has at least one member: the event's contract."""
        self._registered()
        self.record(event)

    def record_profile(self, event: reg.VillageProfileRecordedV1) -> None:
        self._registered()
        self.record(event)

    def record_conditions(self, event: reg.VillageConditionsRecordedV1) -> None:
        """The event's contract holds what a record of conditions must say (at least one
        condition; the dangerous houses with those renovated, no more renovated than
        there are), so no such event exists to refuse here."""
        self._registered()
        self.record(event)

    def list_need(self, need: reg.VillageNeedListedV1) -> None:
        self._registered()
        self.ledger.check_need(need)
        self.record(need)

    def plan_measure(self, plan: reg.VillageMeasurePlannedV1) -> None:
        self._registered()
        self.ledger.check_plan(plan)
        self.record(plan)

    def record_progress(self, progress: reg.VillageMeasureProgressedV1) -> None:
        self._registered()
        self.ledger.check_progress(progress)
        self.record(progress)

    def _condition(self, event: reg.VillageConditionsRecordedV1) -> None:
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
            case reg.VillageRegisteredV1() | reg.VillageProfileRecordedV1():
                self.registered = True
                self.poor, self.rural_population = event.poor, event.rural_population
            case reg.VillageResponsibilityAssignedV1():
                pass
            case reg.VillageConditionsRecordedV1():
                self._condition(event)
            case reg.VillageNeedListedV1() | reg.VillageMeasurePlannedV1():
                self.ledger.apply(event)
            case reg.VillageMeasureProgressedV1():
                self.ledger.apply(event)
            case _:
                raise TypeError(f"Village cannot apply {type(event).__name__}")
