"""The catalogue of event types: type name → payload model and topic.

A consumer parses ``Envelope.data`` with the model registered for ``Envelope.type``;
an unknown type is a dead letter, never a guess.
"""

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from tuopin_contracts.topics import Topic


class EventData(BaseModel):
    """Base of every event payload. ``TYPE`` and ``TOPIC`` are set by :func:`event_type`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[Topic]


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, type[EventData]]

    def model_for(self, type_name: str) -> type[EventData] | None:
        return self.types.get(type_name)

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
