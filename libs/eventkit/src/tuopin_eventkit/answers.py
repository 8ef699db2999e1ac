"""Response models made from event models, for the commands whose answer is what they
recorded: the event's fields, less those an answer must not say, plus a few of its own."""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, create_model

from tuopin_eventkit.web.http import Answer


def answer_of(
    event: type[BaseModel], name: str, /, *, drop: Iterable[str] = (), **more: Any
) -> type[Answer]:
    """An ``Answer`` named ``name`` with ``event``'s fields (their types, descriptions and
    bounds) but those in ``drop``; ``more`` adds or replaces fields, as ``(type, default)``
    pairs or bare types (required). The event's validators stay with the event: the
    answer checks the shape of what goes out, the event already decided what is true."""
    dropped = set(drop)
    fields: dict[str, Any] = {
        n: (f.annotation, f) for n, f in event.model_fields.items() if n not in dropped
    }
    fields |= {n: t if isinstance(t, tuple) else (t, ...) for n, t in more.items()}
    return create_model(name, __base__=Answer, __doc__=event.__doc__, **fields)
