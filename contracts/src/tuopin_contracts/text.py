"""Free text that people type — reasons, notes, descriptions, plans, names of units and
sites — screened for personal numbers before anything is written.

Whatever goes into a free-text field of a command travels unmasked into the event log,
the topic, every copy downstream and the history. So a field that holds what looks like
a resident ID number (17 digits and a digit or X) or a mainland mobile number (11 digits
starting 13–19, with spaces, hyphens or dots tolerated between digits, an optional +86) is
refused with a 422 naming the field, and the value is never repeated in the answer.

Only the shape is checked, not the GB 11643 check digit: a mistyped number is still
personal. Full-width digits count (NFKC). Free text in events is not screened — old
events must stay readable — only what callers send.
"""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from tuopin_contracts.bounds import NO_NUL

_SEP = r"[\s.\-]?"
_ID_LIKE = re.compile(
    rf"(?<![0-9])[0-9]{{6}}{_SEP}[0-9]{{4}}{_SEP}[0-9]{{4}}{_SEP}[0-9]{{3}}[0-9X](?![0-9])"
)
_PHONE_LIKE = re.compile(rf"(?<![0-9])(?:\+?86{_SEP})?1[3-9][0-9](?:{_SEP}[0-9]){{8}}(?![0-9])")


def personal_number(text: str) -> str | None:
    """What personal number ``text`` appears to hold, or None."""
    normal = unicodedata.normalize("NFKC", text).upper()
    if _ID_LIKE.search(normal):
        return "a resident ID number"
    if _PHONE_LIKE.search(normal):
        return "a mobile phone number"
    return None


def _screened(text: str) -> str:
    found = personal_number(text)
    if found is not None:
        raise PydanticCustomError(
            "personal_number",
            "free text must not hold {what}: it would travel unmasked to every copy of the "
            "event; leave the number out (the register keeps identity numbers sealed)",
            {"what": found},
        )
    return text


# The mark lets a test walk every request body in every OpenAPI document and find any
# free-text field that is not screened.
MARK = "x-free-text"

# Text's pattern (no NUL; lone surrogates fail it too) but no length inside: each field
# states its own, and an inner max_length would override it.
FreeText = Annotated[
    str, Field(pattern=NO_NUL), AfterValidator(_screened), Field(json_schema_extra={MARK: True})
]
"""A ``str`` field people type into; refused when it holds a personal number."""
