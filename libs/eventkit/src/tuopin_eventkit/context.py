"""Who and what caused the work in hand: carried into every event appended and every log line.

The correlation id is asgi-correlation-id's context variable, so HTTP requests, log records
and events all share one id; consumers set it from the event they are handling.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from asgi_correlation_id import correlation_id

actor: ContextVar[str | None] = ContextVar("actor", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


@dataclass(frozen=True)
class Provenance:
    correlation_id: str | None
    causation_id: str | None
    actor: str | None


def current() -> Provenance:
    return Provenance(correlation_id.get(), causation_id.get(), actor.get())


@contextmanager
def caused_by(correlation: str | None, causation: str | None, who: str | None) -> Iterator[None]:
    """Run a block (e.g. handling one event) under the provenance of its cause."""
    tokens = (correlation_id.set(correlation), causation_id.set(causation), actor.set(who))
    try:
        yield
    finally:
        correlation_id.reset(tokens[0])
        causation_id.reset(tokens[1])
        actor.reset(tokens[2])
