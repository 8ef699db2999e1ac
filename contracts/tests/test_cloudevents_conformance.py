"""Our envelope is CloudEvents 1.0 structured JSON, as the official SDK reads and writes it."""

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from tuopin_contracts import Envelope
from tuopin_contracts.envelope import CONTENT_TYPE, KAFKA_HEADERS
from tuopin_contracts.events.registry import HouseholdRegisteredV1

HOUSEHOLD_ID = UUID("0b9c6a52-4f0e-4d2a-9a51-3c1f1f6f2a10")
DATA = {
    "household_id": str(HOUSEHOLD_ID),
    "county_code": "621124",
    "village_code": "621124100201",
    "head_name": "王建国",
    "size": 4,
}
SHANGHAI = timezone(timedelta(hours=8))
EXTENSIONS = {"sequence": 3, "correlationid": "req-7", "causationid": "cmd-9", "actor": "clerk:42"}


def envelope(time: datetime) -> Envelope:
    return Envelope(
        id=uuid4(),
        source="/tuopin/registry",
        type=HouseholdRegisteredV1.TYPE,
        subject=str(HOUSEHOLD_ID),
        time=time,
        data=DATA,
        **EXTENSIONS,
    )


def sdk_event() -> CloudEvent:
    return CloudEvent(
        attributes={
            "id": str(uuid4()),
            "source": "/tuopin/registry",
            "type": HouseholdRegisteredV1.TYPE,
            "subject": str(HOUSEHOLD_ID),
            "time": datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
            "datacontenttype": "application/json",
            **EXTENSIONS,
        },
        data=DATA,
    )


@pytest.mark.parametrize(
    "time",
    [datetime(2024, 5, 1, 8, 30, tzinfo=UTC), datetime(2024, 5, 1, 16, 30, 0, 123456, SHANGHAI)],
)
def test_sdk_reads_our_envelope_with_the_same_attributes(time: datetime) -> None:
    ours = envelope(time)

    event = JSONFormat().read(None, ours.to_json())

    assert isinstance(event, CloudEvent)
    assert event.get_specversion() == "1.0"
    assert event.get_id() == str(ours.id)
    assert event.get_source() == ours.source
    assert event.get_type() == ours.type
    assert event.get_subject() == ours.subject
    assert event.get_time() == ours.time
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == ours.data
    for name, value in EXTENSIONS.items():
        assert event.get_extension(name) == value


def test_optional_extensions_are_omitted_not_null() -> None:
    ours = Envelope.model_validate(
        envelope(datetime.now(UTC)).model_dump() | {"correlationid": None, "actor": None}
    )
    raw = json.loads(ours.to_json())
    assert "correlationid" not in raw and "actor" not in raw
    assert JSONFormat().read(None, ours.to_json()).get_extension("actor") is None


def test_sdk_built_event_parses_into_the_same_envelope() -> None:
    event = sdk_event()

    ours = Envelope.from_json(JSONFormat().write(event))

    assert ours.specversion == "1.0"
    assert str(ours.id) == event.get_id()
    assert ours.source == event.get_source()
    assert ours.type == event.get_type()
    assert ours.subject == event.get_subject()
    assert ours.time == event.get_time()
    assert ours.datacontenttype == event.get_datacontenttype()
    assert ours.data == event.get_data()
    assert HouseholdRegisteredV1.model_validate(ours.data).household_id == HOUSEHOLD_ID
    for name, value in EXTENSIONS.items():
        assert getattr(ours, name) == value


def test_kafka_structured_mode_keys_by_subject() -> None:
    ours = envelope(datetime.now(UTC))
    record = kafka.KafkaMessage(headers=dict(KAFKA_HEADERS), key=ours.key, value=ours.to_json())

    event = kafka.from_structured_event(record)
    assert event.get_extension("partitionkey") == ours.subject

    sent = kafka.to_structured_event(sdk_event(), key_mapper=lambda e: e.get_subject())
    assert sent.headers["content-type"] == CONTENT_TYPE.encode()
    assert Envelope.from_json(sent.value).key == sent.key.encode()


def test_attribute_names_are_valid_cloudevents_names() -> None:
    for name in Envelope.model_fields:
        assert re.fullmatch(r"[a-z0-9]{1,20}", name), name


@pytest.mark.parametrize(
    "missing", ["specversion", "id", "source", "type", "subject", "time", "sequence"]
)
def test_missing_required_attribute_is_rejected(missing: str) -> None:
    raw = json.loads(JSONFormat().write(sdk_event()))
    del raw[missing]
    with pytest.raises(ValidationError, match=missing):
        Envelope.from_json(json.dumps(raw))


@pytest.mark.parametrize("specversion", ["0.3", "1.1", "2.0", 1.0])
def test_wrong_specversion_is_rejected(specversion: object) -> None:
    raw = json.loads(JSONFormat().write(sdk_event())) | {"specversion": specversion}
    with pytest.raises(ValidationError, match="specversion"):
        Envelope.from_json(json.dumps(raw))
