"""Needs lists (需求清单), assistance measures (帮扶措施) and their work ledger (工作台账),
kept alike for households and villages (因户施法, 因村施策). The items are the contracts'
(a household's events and a village's share them); ids are kept as strings."""

from dataclasses import dataclass

from tuopin_contracts.events.registry import MeasureItem, NeedItem, ProgressItem
from tuopin_contracts.vocabulary import MeasureKind
from tuopin_eventkit.store.aggregate import RuleViolation


@dataclass
class Measure:
    kind: MeasureKind
    funds: int
    progress_percent: int = 0
    spent: int = 0
    completed: bool = False


class Ledger:
    def __init__(self) -> None:
        self.needs: dict[str, NeedItem] = {}
        self.measures: dict[str, Measure] = {}

    def check_need(self, need: NeedItem) -> None:
        if str(need.need_id) in self.needs:
            raise RuleViolation(f"need {need.need_id} is already listed")

    def check_plan(self, plan: MeasureItem) -> None:
        if str(plan.measure_id) in self.measures:
            raise RuleViolation(f"measure {plan.measure_id} is already planned")
        if plan.need_id is not None and str(plan.need_id) not in self.needs:
            raise RuleViolation(f"measure answers an unknown need {plan.need_id}")

    def check_progress(self, progress: ProgressItem) -> None:
        measure = self.measures.get(str(progress.measure_id))
        if measure is None:
            raise RuleViolation(f"no measure {progress.measure_id} is planned")
        if measure.completed:
            raise RuleViolation(f"measure {progress.measure_id} is already completed")
        if progress.progress_percent < measure.progress_percent:
            raise RuleViolation(
                f"progress cannot go back from {measure.progress_percent}% "
                f"to {progress.progress_percent}%"
            )
        if progress.completed != (progress.progress_percent == 100):
            raise RuleViolation("a measure is completed exactly when its progress is 100%")
        if progress.spent < measure.spent:
            raise RuleViolation("spending is cumulative and cannot decrease")

    def apply(self, item: NeedItem | MeasureItem | ProgressItem) -> None:
        match item:
            case NeedItem():
                self.needs[str(item.need_id)] = item
            case MeasureItem():
                self.measures[str(item.measure_id)] = Measure(item.kind, item.funds)
            case ProgressItem():
                measure = self.measures[str(item.measure_id)]
                measure.progress_percent, measure.spent = item.progress_percent, item.spent
                measure.completed = item.completed
