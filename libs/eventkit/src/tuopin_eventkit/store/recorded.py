"""An event as the store recorded it: its position in the service's feed, its stream and
version, its payload as stored, when and by whom; and how it goes on the wire (the
CloudEvents envelope the relay publishes). Below the read models, which are handed these.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from pydantic_core import to_json

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
        fields = {
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
        return to_json({name: value for name, value in fields.items() if value is not None})


_COLUMNS = tuple(events.c.keys())
_columns_of = itemgetter(*_COLUMNS)  # one lookup per row: by name, a feed read's main cost


def recorded_event(row: Any) -> RecordedEvent:
    """A row of the events table, or of a query selecting its columns among others."""
    values = dict(zip(_COLUMNS, _columns_of(row._mapping), strict=True))
    if values["recorded_at"].tzinfo is None:  # SQLite keeps no zone; we only ever store UTC
        values["recorded_at"] = values["recorded_at"].replace(tzinfo=UTC)
    return RecordedEvent(**values)
