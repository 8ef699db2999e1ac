"""Reading one cell of an export: a code from its Chinese label or English value, a date
or year however a spreadsheet wrote it, 是/否, a name; or :class:`Bad`, saying why not."""

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from tuopin_contracts import vocabulary
from tuopin_contracts.dates import FIRST_DAY, LAST_DAY
from tuopin_contracts.text import personal_number
from tuopin_registry.application.bulk.columns import (
    CAUSE_SEPARATORS,
    LABELS,
    MAX_SECONDARY_CAUSES,
    NO,
    PREFIXED,
    YEARS,
    YES,
)


class Bad(ValueError):
    """A cell the import cannot read; the message says why, for the errors file."""


def as_text(raw: Any) -> str | None:
    """A cell's text, stripped; ``None`` when blank (XLSX whole numbers without ".0")."""
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if "\x00" in text:  # no database stores it in text (PostgreSQL refuses it)
        raise Bad("a NUL character is not allowed")
    return text or None


def folded(text: str) -> str:
    """Text as headers and labels are matched: no spaces (ASCII or full-width), lower case."""
    return text.replace(" ", "").replace("\u3000", "").lower()


def _choices(kind: type[StrEnum]) -> tuple[dict[str, Any], str]:
    table: dict[str, Any] = {}
    for code, labels in LABELS[kind].items():
        for label in [*labels.split(), code.value]:
            table[folded(label)] = code
    return table, "、".join(labels.split()[0] for labels in LABELS[kind].values())


def _choice(kind: type[StrEnum]) -> Callable[[Any], Any]:
    table, expected = _choices(kind)
    prefixes = sorted(table, key=len, reverse=True) if kind in PREFIXED else []

    def parse(raw: Any) -> Any:
        text = as_text(raw)
        if text is None:
            return None
        key = folded(text)
        found = table.get(key)
        if found is None:
            found = next((table[p] for p in prefixes if key.startswith(p)), None)
        if found is None:
            raise Bad(f"unknown value {text!r}; expected one of {expected}")
        return found

    return parse


_cause = _choice(vocabulary.PovertyCause)


def _causes(raw: Any) -> tuple[vocabulary.PovertyCause, ...]:
    text = as_text(raw)
    if text is None:
        return ()
    causes = tuple(_cause(part) for part in CAUSE_SEPARATORS.split(text) if part.strip())
    if len(causes) > MAX_SECONDARY_CAUSES:
        raise Bad(f"at most {MAX_SECONDARY_CAUSES} other causes, not {len(causes)}")
    return causes


def _code(digits: int) -> Callable[[Any], str | None]:
    def parse(raw: Any) -> str | None:
        text = as_text(raw)
        if text is None:
            return None
        if len(text) != digits or not (text.isascii() and text.isdigit()) or text[:2] != "62":
            raise Bad(f"{text!r} is not a {digits}-digit Gansu code (62…)")
        return text

    return parse


_DATE = re.compile(r"(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})\s*日?(?:[ T].*)?")


def _date(raw: Any) -> date | None:
    if isinstance(raw, datetime):
        day = raw.date()
    elif isinstance(raw, date):
        day = raw
    else:
        text = as_text(raw)
        if text is None:
            return None
        match = _DATE.fullmatch(text)
        try:
            if match is None:
                raise ValueError
            day = date(*map(int, match.groups()))
        except ValueError:
            raise Bad(f"{text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise Bad(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()}–{LAST_DAY.isoformat()}")
    return day


def _year(raw: Any) -> int | None:
    if isinstance(raw, date):
        return raw.year
    text = as_text(raw)
    if text is None:
        return None
    text = text.removesuffix("年")
    if not (text.isascii() and text.isdigit()):
        raise Bad(f"{text!r} is not a year")
    if int(text) not in YEARS:
        raise Bad(f"year {text} is outside {YEARS.start}–{YEARS.stop - 1}")
    return int(text)


def _flag(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = as_text(raw)
    if text is None:
        return False
    key = folded(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise Bad(f"{text!r} is neither 是 nor 否")


def _limited(shortest: int, longest: int) -> Callable[[Any], str | None]:
    def parse(raw: Any) -> str | None:
        text = as_text(raw)
        if text is not None and not shortest <= len(text) <= longest:
            raise Bad(f"{len(text)} characters; {shortest} to {longest} are allowed")
        return text

    return parse


_name_text = _limited(1, 50)


def _name(raw: Any) -> str | None:
    """A name, free text: refused when it holds a personal number (``FreeText``'s rule)."""
    text = _name_text(raw)
    found = personal_number(text) if text else None
    if found is not None:
        raise Bad(f"a name must not hold {found}")
    return text


def _id_number(raw: Any) -> str | None:
    if isinstance(raw, int | float):  # an 18-digit number has already lost its last digits
        raise Bad("the ID number is stored as a number; format the column as text")
    return as_text(raw)


def _remembered(parse: Callable[[Any], Any], limit: int = 100_000) -> Callable[[Any], Any]:
    """The same parser, remembering its answers: codes, dates and yes/no repeat on
    millions of rows (``Bad`` answers are remembered too)."""
    memo: dict[Any, tuple[Any, str | None]] = {}  # raw → (value, or why it is bad)

    def parse_once(raw: Any) -> Any:
        try:
            value, bad = memo[raw]
        except KeyError:
            try:
                value, bad = parse(raw), None
            except Bad as exc:
                value, bad = None, str(exc)
            if len(memo) >= limit:
                memo.clear()
            memo[raw] = value, bad
        if bad is not None:
            raise Bad(bad)
        return value

    return parse_once


# How each field is read; names, ID and file numbers are unique, the rest repeats.
PARSE: Final[dict[str, Callable[[Any], Any]]] = {
    "file_number": _limited(1, 40),
    "name": _name,
    "id_number": _id_number,
} | {
    name: _remembered(parse)
    for name, parse in {
        "county_code": _code(6),
        "village_code": _code(12),
        "poverty_attribute": _choice(vocabulary.PovertyAttribute),
        "primary_cause": _cause,
        "secondary_causes": _causes,
        "identified_year": _year,
        "effective_date": _date,
        "assisted_on": _date,
        "exited_on": _date,
        "returned_on": _date,
        "return_cause": _cause,
        "relation": _choice(vocabulary.Relation),
        "sex": _choice(vocabulary.Sex),
        "birth_date": _date,
        "education": _choice(vocabulary.Education),
        "schooling": _choice(vocabulary.Schooling),
        "health": _choice(vocabulary.Health),
        "disabled": _flag,
        "labour_ability": _choice(vocabulary.LabourAbility),
        "medical_insurance": _flag,
        "pension_insurance": _flag,
    }.items()
}
