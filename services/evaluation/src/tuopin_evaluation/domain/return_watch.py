"""Return-to-poverty warning (返贫预警): exited households stay monitored; an income per
head at or below the year's line, or a new illness or disaster among the causes, raises a
warning for the village and county to act on."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from tuopin_contracts.events import evaluation as ev
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition, NotFound, RuleViolation

SHOCKS = frozenset({"illness", "disaster"})


def income_shortfall(per_head: int, line: int | None, year: int) -> list[str]:
    if line is None or per_head > line:
        return []
    return [f"income per head {per_head / 100:.2f} yuan in {year} at or below the line"]


def new_shocks(causes: list[str]) -> list[str]:
    return [f"new cause: {c}" for c in causes if c in SHOCKS]


OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
RESOLVED, RETURNED = "resolved", "returned"


@dataclass
class WarningState:
    raised_on: date
    status: str = OPEN


class ReturnWatch(Aggregate):
    """The warnings raised about one exited household, each worked from open through
    acknowledged to closed. One aggregate per household, so the household's return to
    poverty closes every warning still open in one step, and a raise, an acknowledgement
    and a closure racing on one household meet at its stream's version."""

    warnings: dict[str, WarningState]

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.warnings = {}

    def warn(self, warning_id: str, household_id: str, on: date, reasons: list[str]) -> None:
        """Each cause raises at most one warning."""
        if reasons and warning_id not in self.warnings:
            self.record(
                ev.ReturnWarningRaisedV1(
                    warning_id=warning_id, household_id=household_id, raised_on=on, reasons=reasons
                )
            )

    def acknowledge(
        self,
        warning_id: str,
        household_id: str,
        on: date,
        cadre_name: str,
        cadre_unit: str,
        measures: list[str],
    ) -> None:
        """A cadre takes up an open warning with the measures planned."""
        warning = self._dated(warning_id, on, "acknowledge")
        if warning.status != OPEN:
            raise InvalidTransition("return warning", warning.status, "acknowledge")
        planned = [m.strip() for m in measures if m.strip()]
        if not (cadre_name.strip() and cadre_unit.strip() and planned):
            raise RuleViolation("an acknowledgement names the cadre, the unit and the measures")
        self.record(
            ev.ReturnWarningAcknowledgedV1(
                warning_id=warning_id,
                household_id=household_id,
                acknowledged_on=on,
                cadre_name=cadre_name.strip(),
                cadre_unit=cadre_unit.strip(),
                measures=planned,
            )
        )

    def resolve(self, warning_id: str, household_id: str, on: date, reason: str) -> None:
        """The county closes an open or acknowledged warning, saying why."""
        warning = self._dated(warning_id, on, "close")
        if warning.status == CLOSED:
            raise InvalidTransition("return warning", CLOSED, "close")
        if not reason.strip():
            raise RuleViolation("a closure says why the warning is resolved")
        self.record(
            ev.ReturnWarningClosedV1(
                warning_id=warning_id,
                household_id=household_id,
                closed_on=on,
                outcome=RESOLVED,
                reason=reason.strip(),
            )
        )

    def returned(self, household_id: str, on: date, cause: str) -> None:
        """The household is listed again as returned to poverty: every warning not yet
        closed is closed as returned, on the return's day (never before it was raised)."""
        for warning_id, warning in sorted(self.warnings.items()):
            if warning.status != CLOSED:
                self.record(
                    ev.ReturnWarningClosedV1(
                        warning_id=warning_id,
                        household_id=household_id,
                        closed_on=max(on, warning.raised_on),
                        outcome=RETURNED,
                        reason=f"returned to poverty: {cause}",
                    )
                )

    def _dated(self, warning_id: str, on: date, command: str) -> WarningState:
        warning = self.warnings.get(warning_id)
        if warning is None:
            raise NotFound(f"no return warning {warning_id}")
        if on < warning.raised_on:
            raise RuleViolation(
                f"cannot {command} a warning on {on}, before it was raised on {warning.raised_on}"
            )
        return warning

    def apply(self, event: Any) -> None:
        match event:
            case ev.ReturnWarningRaisedV1():
                self.warnings[str(event.warning_id)] = WarningState(event.raised_on)
            case ev.ReturnWarningAcknowledgedV1():
                self.warnings[str(event.warning_id)].status = ACKNOWLEDGED
            case ev.ReturnWarningClosedV1():
                self.warnings[str(event.warning_id)].status = CLOSED
            case _:
                raise TypeError(f"ReturnWatch cannot apply {type(event).__name__}")
