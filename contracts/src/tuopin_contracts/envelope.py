"""The CloudEvents 1.0 envelope in structured JSON mode, with Tuopin's extensions.

Kafka key = ``subject`` (the aggregate id), so one aggregate's events stay ordered.
"""

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

CONTENT_TYPE = "application/cloudevents+json"
# The Kafka protocol binding's structured mode names the format in this header.
KAFKA_HEADERS = (("content-type", f"{CONTENT_TYPE}; charset=utf-8".encode()),)


class Envelope(BaseModel):
    """One event as it travels between services (CloudEvents 1.0, structured mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(description="Unique per source; consumers dedupe on (source, id).")
    source: str = Field(min_length=1, description="The producing service, e.g. /tuopin/registry.")
    type: str = Field(
        pattern=r"^[a-z]+(\.[a-z_]+)+\.v[0-9]+$",
        description="Event type with its version, e.g. registry.household.registered.v1.",
    )
    subject: str = Field(min_length=1, description="The aggregate id; also the Kafka key.")
    time: AwareDatetime = Field(description="When the fact was recorded (UTC).")
    effectivedate: date | None = Field(
        default=None,
        description="The business date the fact is true from (Asia/Shanghai), which may be "
        "long before it was recorded; absent, the day of ``time``.",
    )
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    sequence: int = Field(ge=1, description="Version of the aggregate after this event.")
    correlationid: str | None = Field(default=None, description="The request that started it.")
    causationid: str | None = Field(
        default=None, description="The event or command that caused it."
    )
    actor: str | None = Field(default=None, description="Who did it (user, bank, centre, service).")

    @property
    def key(self) -> bytes:
        return self.subject.encode()

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Envelope":
        """Parse what came over the wire, where ``specversion`` is required, not defaulted."""
        return cls.model_validate_json(raw, context={"from_wire": True})

    # After, not before, validation: a "before" validator made pydantic build the whole
    # document (data and all) as Python objects first, a third of every consumer's parse.
    @model_validator(mode="after")
    def _wire_names_its_spec_version(self, info: ValidationInfo) -> "Envelope":
        wire = (info.context or {}).get("from_wire")
        if wire and "specversion" not in self.model_fields_set:
            raise ValueError("specversion is required (CloudEvents 1.0)")
        return self
