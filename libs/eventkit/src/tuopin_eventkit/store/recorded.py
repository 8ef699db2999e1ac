"""An event as the store recorded it: its position in the service's feed, its stream and
version, its payload as stored, when and by whom; and how it goes on the wire (the
CloudEvents envelope the relay publishes). Below the read models, which are handed these.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy import Result

from tuopin_contracts import Envelope, catalogue
from tuopin_contracts.dates import business_date
from tuopin_eventkit.store.schema import events


@dataclass(frozen=True)
class RecordedEvent:
    position: int
    event_id: UUID
    stream_type: str
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    actor: str | None

    @property
    def effective_date(self) -> date:
        """The business date: the one its type names in the payload, else the recording day."""
        model = catalogue.model_for(self.type)
        named = model.EFFECTIVE if model else None
        if named and self.data.get(named):
            return date.fromisoformat(self.data[named])
        return business_date(self.recorded_at)

    def envelope(self, source: str) -> Envelope:
        return Envelope(
            id=self.event_id,
            source=source,
            type=self.type,
            subject=self.stream_id,
            time=self.recorded_at,
            effectivedate=self.effective_date,
            data=self.data,
            sequence=self.version,
            correlationid=self.correlation_id,
            causationid=self.causation_id,
            actor=self.actor,
        )

    def wire(self, source: str) -> bytes:
        """``envelope(source).to_json()``, byte for byte, without building and validating
        the model (the values come from the store): the relay's cost per event."""
        members = {
            "specversion": "1.0",
            "id": self.event_id,
            "source": source,
            "type": self.type,
            "subject": self.stream_id,
            "time": self.recorded_at,
            "effectivedate": self.effective_date,
            "datacontenttype": "application/json",
            "data": self.data,
            "sequence": self.version,
            "correlationid": self.correlation_id,
            "causationid": self.causation_id,
            "actor": self.actor,
        }
        return to_json({name: value for name, value in members.items() if value is not None})


# The table's columns are the event's fields, in the same order: a row of the table alone
# is taken by position, a wider one by name.
_COLUMNS = tuple(events.c.keys())
assert _COLUMNS == tuple(f.name for f in fields(RecordedEvent))
_RECORDED_AT = _COLUMNS.index("recorded_at")
_columns_of = itemgetter(*_COLUMNS)


def recorded_event(row: Any) -> RecordedEvent:
    """A row of the events table, or of a query selecting its columns among others."""
    return _recorded(_columns_of(row._mapping))


def recorded_events(result: Result[Any]) -> list[RecordedEvent]:
    """The rows of a query on the events table, in order; by position when it selected the
    table alone (by name, each row costs more than the rest of reading it)."""
    if tuple(result.keys()) != _COLUMNS:
        return [recorded_event(row) for row in result]
    return [_recorded(row) for row in result]


def _recorded(values: Sequence[Any]) -> RecordedEvent:
    recorded_at = values[_RECORDED_AT]
    if recorded_at.tzinfo is None:  # SQLite keeps no zone; we only ever store UTC
        values = [*values]
        values[_RECORDED_AT] = recorded_at.replace(tzinfo=UTC)
    return RecordedEvent(*values)
