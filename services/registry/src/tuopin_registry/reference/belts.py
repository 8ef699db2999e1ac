"""Special-hardship belts (特困片带), versioned reference data read from a JSON file.

The seed (一.1) names 225 belts but not which they are; the provincial office keeps that
list. The shipped ``hardship_belts.json`` holds what could be cited here (see README.md);
a deployment points ``TUOPIN_REGISTRY_HARDSHIP_BELTS_FILE`` at the office's file in the
same format. Every file is validated as it is read — an unknown county, a township outside
the belt's counties, a duplicate code or name is refused with its place — so a bad file
stops the service at start instead of mis-assigning villages.

Standard library only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from tuopin_registry.reference.regions import RegionTable, gansu

FORMAT = "tuopin.hardship-belts/1"
DATA_FILE = "hardship_belts.json"
EXPECTED_TOTAL = 225  # seed 一.1: 225个特困片带
CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")  # also the API's and the contract's pattern
TOP_KEYS = {"format", "version", "source", "belts"}
BELT_KEYS = {"code", "name", "counties", "townships", "source"}


@dataclass(frozen=True, slots=True)
class Belt:
    """One belt: the counties it spans and, where the file says so, the townships."""

    code: str
    name: str
    counties: tuple[str, ...]  # six-digit GB/T 2260 county codes
    townships: tuple[str, ...]  # nine-digit township codes; empty: whole counties
    source: str

    def covers(self, village_code: str) -> bool:
        """A village (12-digit code) lies in the belt: in one of its townships when the
        belt lists townships of the village's county, else anywhere in its counties."""
        county, township = village_code[:6], village_code[:9]
        if county not in self.counties:
            return False
        listed = [t for t in self.townships if t.startswith(county)]
        return not listed or township in listed


class BeltTable:
    """A validated, versioned set of belts, indexed by code."""

    def __init__(self, version: str, source: str, belts: list[Belt]) -> None:
        self.version, self.source = version, source
        self._by_code = {b.code: b for b in belts}

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Belt]:
        return iter(sorted(self._by_code.values(), key=lambda b: b.code))

    def get(self, code: str) -> Belt | None:
        return self._by_code.get(code)

    @property
    def complete(self) -> bool:
        return len(self) == EXPECTED_TOTAL


def _text(value: Any, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError(f"{where}: a non-empty text of at most {limit} characters")
    return value


def _belt(raw: Any, where: str, regions: RegionTable) -> Belt:
    if not isinstance(raw, dict) or set(raw) - BELT_KEYS or not {"code", "name"} <= set(raw):
        raise ValueError(f"{where}: an object with code, name, counties, source (townships)")
    code = raw["code"]
    if not isinstance(code, str) or not CODE.match(code):
        raise ValueError(f"{where}: code must match {CODE.pattern}")
    where = f"belt {code}"
    counties = raw.get("counties")
    if not isinstance(counties, list) or not counties:
        raise ValueError(f"{where}: counties is a non-empty list of county codes")
    for county in counties:
        region = regions.get(county) if isinstance(county, str) else None
        if region is None or region.level != "county":
            raise ValueError(f"{where}: {county!r} is no Gansu county code")
    if len(set(counties)) != len(counties):
        raise ValueError(f"{where}: a county is listed twice")
    townships = raw.get("townships", [])
    if not isinstance(townships, list):
        raise ValueError(f"{where}: townships is a list of nine-digit codes")
    for township in townships:
        if not (isinstance(township, str) and re.fullmatch(r"[0-9]{9}", township)):
            raise ValueError(f"{where}: township {township!r} is not a nine-digit code")
        if township[:6] not in counties:
            raise ValueError(f"{where}: township {township} lies outside the belt's counties")
    if len(set(townships)) != len(townships):
        raise ValueError(f"{where}: a township is listed twice")
    return Belt(
        code=code,
        name=_text(raw["name"], f"{where} name", 100),
        counties=tuple(sorted(counties)),
        townships=tuple(sorted(townships)),
        source=_text(raw.get("source"), f"{where} source", 500),
    )


def read_belts(text: str, regions: RegionTable | None = None) -> BeltTable:
    """Build a table from the JSON text of a belts file; ValueError says what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON: {error}") from None
    if not isinstance(raw, dict) or set(raw) != TOP_KEYS or raw["format"] != FORMAT:
        raise ValueError(f"an object with exactly {sorted(TOP_KEYS)}, format {FORMAT!r}")
    if not isinstance(raw["belts"], list):
        raise ValueError("belts is a list")
    regions = regions or gansu()
    belts = [_belt(b, f"belts[{i}]", regions) for i, b in enumerate(raw["belts"])]
    for key in ("code", "name"):
        seen = [getattr(b, key) for b in belts]
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            raise ValueError(f"belt {key} listed twice: {', '.join(twice)}")
    if len(belts) > EXPECTED_TOTAL:
        raise ValueError(f"{len(belts)} belts: the seed names {EXPECTED_TOTAL}")
    return BeltTable(
        _text(raw["version"], "version", 100), _text(raw["source"], "source", 500), belts
    )


@cache
def load_belts(path: Path | None = None) -> BeltTable:
    """The belts of ``path``, or the shipped file; read and validated once per path."""
    if path is None:
        package = __name__.rpartition(".")[0]
        text = resources.files(package).joinpath(DATA_FILE).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    try:
        return read_belts(text)
    except ValueError as error:
        raise ValueError(f"{path or DATA_FILE}: {error}") from None
