"""Refusals that name the rule they apply, so a centre knows what to correct."""

from tuopin_eventkit.store.aggregate import RuleViolation


class Refused(RuleViolation):
    """A posting broke a named rule (HTTP 422); nothing was recorded."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"[{rule}] {detail}", rule=rule)
        self.rule = rule
