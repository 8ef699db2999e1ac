"""Return-to-poverty warning (返贫预警): exited households stay monitored; an income per
head at or below the year's line, or a new illness or disaster among the causes, raises a
warning for the village and county to act on."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from tuopin_eventkit.aggregate import Aggregate

SHOCKS = frozenset({"illness", "disaster"})


def income_shortfall(per_head: int, line: int | None, year: int) -> list[str]:
    if line is None or per_head > line:
        return []
    return [f"income per head {per_head / 100:.2f} yuan in {year} at or below the line"]


def new_shocks(causes: list[str]) -> list[str]:
    return [f"new cause: {c}" for c in causes if c in SHOCKS]


@dataclass(frozen=True, kw_only=True)
class ReturnWarningRaised:
    warning_id: str
    household_id: str
    raised_on: date
    reasons: list[str]


class ReturnWatch(Aggregate):
    """The warnings raised about one exited household; each cause raises at most one."""

    raised: set[str]

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.raised = set()

    def warn(self, warning_id: str, household_id: str, on: date, reasons: list[str]) -> None:
        if reasons and warning_id not in self.raised:
            self.record(
                ReturnWarningRaised(
                    warning_id=warning_id, household_id=household_id, raised_on=on, reasons=reasons
                )
            )

    def apply(self, event: Any) -> None:
        match event:
            case ReturnWarningRaised():
                self.raised.add(event.warning_id)
            case _:
                raise TypeError(f"ReturnWatch cannot apply {type(event).__name__}")
