"""Aggregates that record their own events (standard library only, safe for domains)."""

from collections.abc import Iterable
from typing import Any, Self


class RuleViolation(Exception):
    """A command broke a domain rule; nothing was recorded (HTTP 422). ``details`` name
    what broke, e.g. ``rules=[...]`` for every eligibility rule an application fails."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class InvalidTransition(Exception):
    """A command does not apply in the aggregate's current state (HTTP 409)."""

    def __init__(self, aggregate: str, state: str, command: str) -> None:
        super().__init__(f"cannot {command}: the {aggregate} is {state}")
        self.state = state


class NotFound(LookupError):
    """The command or query names something that does not exist (HTTP 404)."""


class Conflict(Exception):
    """The command clashes with what is already recorded elsewhere (HTTP 409); ``details``
    names what it clashes with."""

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.details = details


class Aggregate:
    """Consistency boundary whose state is the fold of its events.

    Subclasses implement ``apply`` (pure state change, no checks) and commands that check
    the rules, then ``record`` new events.
    """

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self.pending: list[Any] = []

    def apply(self, event: Any) -> None:
        raise NotImplementedError

    def record(self, event: Any) -> None:
        self.apply(event)
        self.version += 1
        self.pending.append(event)

    @classmethod
    def replay(cls, aggregate_id: str, events: Iterable[Any]) -> Self:
        aggregate = cls(aggregate_id)
        for event in events:
            aggregate.apply(event)
            aggregate.version += 1
        return aggregate
