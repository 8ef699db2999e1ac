"""The catalogue of event types: type name → payload model and topic.

A consumer parses ``Envelope.data`` with the model registered for ``Envelope.type``;
an unknown type is a dead letter, never a guess.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from tuopin_contracts.topics import Topic


class EventData(BaseModel):
    """Base of every event payload. ``TYPE`` and ``TOPIC`` are set by :func:`event_type`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[Topic]


Upcaster = Callable[[Any, date], EventData]


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, type[EventData]]
    upcasters: dict[str, Upcaster] = field(default_factory=dict)

    def model_for(self, type_name: str) -> type[EventData] | None:
        return self.types.get(type_name)

    def upcaster(self, old: type[EventData], to_newer: Upcaster) -> None:
        """Declare how an old version becomes the next one (given the day it was recorded)."""
        self.upcasters[old.TYPE] = to_newer

    def read(self, type_name: str, data: dict[str, Any], recorded: date) -> EventData:
        """The payload as the newest version of its type: old versions are upcast on read."""
        model = self.types.get(type_name)
        if model is None:
            raise LookupError(f"unknown event type {type_name}")
        payload: EventData = model.model_validate(data)
        while payload.TYPE in self.upcasters:
            payload = self.upcasters[payload.TYPE](payload, recorded)
        return payload

    def on_topic(self, topic: Topic) -> list[type[EventData]]:
        return [model for model in self.types.values() if model.TOPIC == topic]


catalogue = Catalogue(types={})

E = TypeVar("E", bound=type[EventData])


def event_type(name: str, topic: Topic):
    """Register a payload model under its versioned type name, e.g. ``x.y.happened.v1``."""

    def register(model: E) -> E:
        if name in catalogue.types:
            raise ValueError(f"event type {name} registered twice")
        model.TYPE = name
        model.TOPIC = topic
        catalogue.types[name] = model
        return model

    return register
