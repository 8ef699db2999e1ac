"""A message read in one pass: its envelope and its payload, typed, from the JSON at once.

``Envelope.from_json`` builds the payload as Python dicts and lists, which the payload's
model then validates a second time; for a replay of millions of messages, that was a third
of its parsing. Here the envelope's ``type`` is looked up in the bytes first (the relay
writes it before ``data``), and the message validated by an envelope whose ``data`` is that
type's model.

Only an answer that is sure: ``None`` when the type cannot be found that way, is unknown,
or the message does not validate so — the caller then reads it the usual way, which also
says why a message is refused in the usual words. The envelope returned carries the
payload as sent (a model, not a dict) in its ``data``.
"""

from functools import cache

from pydantic import ValidationError, create_model

from tuopin_contracts.catalogue import EventData, catalogue
from tuopin_contracts.envelope import Envelope

_TYPE = b'"type":"'
_WIRE = {"from_wire": True}


def read(raw: bytes | None) -> tuple[Envelope, EventData] | None:
    if not isinstance(raw, bytes):  # a tombstone, say: the usual reading refuses it
        return None
    start = raw.find(_TYPE)
    if start < 0:
        return None
    start += len(_TYPE)
    end = raw.find(b'"', start)
    model = catalogue.types.get(raw[start:end].decode("ascii", "replace"))
    if model is None:
        return None
    try:
        envelope = _envelope_of(model).model_validate_json(raw, context=_WIRE)
    except (ValidationError, ValueError, TypeError):
        return None
    payload = envelope.data  # the model's, typed as the envelope's dict
    # A "type" inside the payload, before the envelope's own, named another model.
    if envelope.type != model.TYPE or not isinstance(payload, EventData):
        return None
    return envelope, payload


@cache
def _envelope_of(model: type[EventData]) -> type[Envelope]:
    """The envelope of one event type, its ``data`` validated as that type's payload."""
    typed: type[Envelope] = create_model(
        f"{model.__name__}Envelope",
        __base__=Envelope,
        data=(model, ...),
    )
    return typed
