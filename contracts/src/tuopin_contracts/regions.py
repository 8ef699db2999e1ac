"""Administrative region codes shared by every event and API (GB/T 2260, and the statistical
codes of townships and villages) and their levels: the province, its cities, counties,
townships and villages, each level's code the head of those below it."""

from typing import Annotated

from pydantic import Field

CountyCode = Annotated[
    str,
    Field(
        pattern=r"^62[0-9]{4}$",
        description="GB/T 2260 county code (县级行政区划代码); Gansu codes start with 62.",
        examples=["621121"],
    ),
]

VillageCode = Annotated[
    str,
    Field(
        pattern=r"^62[0-9]{10}$",
        description="12-digit statistical code of the village (行政村), within Gansu.",
        examples=["621121100201"],
    ),
]

LEVELS = ("province", "city", "county", "township", "village")
DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def level_of(code: str) -> str:
    """The level of a region code: 620000 province, 621100 city, 621121 county,
    621121100 township, 621121100201 village."""
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValueError(f"{code!r} is not a region code (6, 9 or 12 digits)")
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def region_prefix(code: str) -> str:
    """The leading digits every village of the region shares (620000 → 62, 621100 → 6211)."""
    return code[: DIGITS[level_of(code)]]


def region_at(code: str, level: str) -> str:
    """The region of ``level`` that contains ``code`` (a region at that level or below)."""
    if LEVELS.index(level) > LEVELS.index(level_of(code)):
        raise ValueError(f"{code} is a {level_of(code)}; it has no {level}")
    head = code[: DIGITS[level]]
    return head.ljust(6, "0") if len(head) < 6 else head


def check_level(region: str, level: str) -> None:
    """A roll-up lists the regions of ``level`` inside ``region``: not above it."""
    if level not in DIGITS:
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    if LEVELS.index(level) < LEVELS.index(level_of(region)):
        raise ValueError(f"{region} is a {level_of(region)}: it has no {level} inside it")
