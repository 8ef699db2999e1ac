"""The catalogue of event types: type name → payload model and topic.

A consumer parses ``Envelope.data`` with the model registered for ``Envelope.type``;
an unknown type is a dead letter, never a guess.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from tuopin_contracts.dates import business_date
from tuopin_contracts.topics import Topic


class EventData(BaseModel):
    """Base of every event payload. ``TYPE``, ``TOPIC`` and ``EFFECTIVE`` are set by
    :func:`event_type`.

    A fact has two times. The recording instant is the envelope's ``time``. The business
    date (业务日期) is the day the fact is true from, which can be long before it was
    recorded, as when a county back-fills last year's exits. ``EFFECTIVE`` names the
    payload field that holds the business date (``effective_date``, ``decided_on``, ...).
    It is None for acts the system performs itself, such as drawing a sample, whose
    business date is the day they were recorded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    TYPE: ClassVar[str]
    TOPIC: ClassVar[Topic]
    EFFECTIVE: ClassVar[str | None]

    def business_date(self) -> date | None:
        """The day this fact is true from; None means the day it was recorded."""
        return getattr(self, self.EFFECTIVE) if self.EFFECTIVE else None


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

    def read_recorded_at(
        self, type_name: str, data: dict[str, Any], recorded_at: datetime
    ) -> EventData:
        """``read`` for an event recorded at an instant (see ``upcast``)."""
        model = self.types.get(type_name)
        if model is None:
            raise LookupError(f"unknown event type {type_name}")
        return self.upcast(model.model_validate(data), recorded_at)

    def upcast(self, payload: EventData, recorded_at: datetime) -> EventData:
        """The payload as the newest version of its type, its business date reckoned only
        when an upcaster takes it: most events are of their newest version, and the time
        zone arithmetic for each of them cost a replay more than the lookup saves."""
        if payload.TYPE not in self.upcasters:
            return payload
        recorded = business_date(recorded_at)
        while payload.TYPE in self.upcasters:
            payload = self.upcasters[payload.TYPE](payload, recorded)
        return payload

    def on_topic(self, topic: Topic) -> list[type[EventData]]:
        return [model for model in self.types.values() if model.TOPIC == topic]


catalogue = Catalogue(types={})

E = TypeVar("E", bound=EventData)


def event_type(
    name: str, topic: Topic, effective: str | None = "effective_date"
) -> Callable[[type[E]], type[E]]:
    """Register a payload model under its versioned type name, e.g. ``x.y.happened.v1``.

    ``effective`` names the field holding the business date. The default,
    ``effective_date``, is used when the model has that field; otherwise the default means
    the model has no business date of its own."""

    def register(model: type[E]) -> type[E]:
        if name in catalogue.types:
            raise ValueError(f"event type {name} registered twice")
        field_name = effective if effective in model.model_fields else None
        if effective not in (None, "effective_date") and field_name is None:
            raise ValueError(f"{name} has no business-date field {effective}")
        model.TYPE = name
        model.TOPIC = topic
        model.EFFECTIVE = field_name
        if field_name:  # the published JSON Schema says which field is the business date
            model.model_config["json_schema_extra"] = {"x-business-date": field_name}
            model.model_rebuild(force=True)
        catalogue.types[name] = model
        return model

    return register
