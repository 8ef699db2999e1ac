"""Reading a message in one pass gives what reading its envelope, then its payload, gives —
or nothing, and the usual reading answers."""

import json

from tuopin_contracts import Envelope, catalogue, examples, wire


def test_one_pass_gives_the_envelope_and_payload_of_two() -> None:
    raw = examples.household_registered(size=4).to_json()
    read = wire.read(raw)
    assert read is not None
    envelope, payload = read
    usual = Envelope.from_json(raw)
    assert envelope.model_dump(exclude={"data"}) == usual.model_dump(exclude={"data"})
    assert envelope.model_fields_set == usual.model_fields_set
    assert payload == catalogue.read(usual.type, usual.data, usual.time.date())


def test_what_it_cannot_be_sure_of_it_leaves_to_the_usual_reading() -> None:
    raw = examples.household_registered().to_json()
    message = json.loads(raw)
    unknown = {**message, "type": "registry.household.unheard_of.v1"}
    invalid = {**message, "data": {**message["data"], "members": []}}
    # A "type" before the envelope's own, naming another event type.
    misleading = {"data": {"type": "registry.household.exited.v1", **message["data"]}}
    misleading.update({k: v for k, v in message.items() if k != "data"})
    for other in (unknown, invalid, misleading):
        assert wire.read(json.dumps(other).encode()) is None
    assert wire.read(None) is None
    assert wire.read(b"not json") is None
