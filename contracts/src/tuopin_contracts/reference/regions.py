"""Gansu's administrative hierarchy (甘肃省行政区划), loaded from ``gansu_regions.csv``.

Three levels, each identified by its six-digit GB/T 2260 code: the province (省); its 14
prefecture-level divisions (地级: 12 地级市 and 2 自治州), here ``city``; and their 86
county-level divisions (县级: 市辖区, 县级市, 县, 自治县), here ``county``.

Each county carries its 2016 poverty classification. A poor county (贫困县) is either a
contiguous-poverty-area county (片区县) of 六盘山区, 秦巴山区 or 藏区, or a scattered
poor county (插花型贫困县) designated by the province. See ``README.md`` for sources
and known gaps.

Villages are not shipped: a village's 12-digit statistical code (统计用区划代码) begins
with the code of its county, which is all ``RegionTable.county_of_village`` needs.

Standard library only. The table is validated as it is loaded, so a bad edit of the CSV
fails loudly instead of yielding a wrong hierarchy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

LEVELS = ("province", "city", "county")
POVERTY_AREAS = ("六盘山区", "秦巴山区", "藏区", "插花型")
COLUMNS = ("code", "name", "level", "parent_code", "poverty_county", "poverty_area", "source")

DATA_FILE = "gansu_regions.csv"

# County codes retired since the 2014 filing (建档立卡), which older village codes still carry.
GANSU_RENAMED_COUNTIES = {"620824": "620881"}  # 华亭县 became 华亭市 in 2018


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative division (行政区划)."""

    code: str
    name: str
    level: str  # "province" (省), "city" (地级) or "county" (县级)
    parent_code: str | None
    poverty_county: bool = False  # a poor county (贫困县) under the 2016 policy
    poverty_area: str | None = None  # one of POVERTY_AREAS, set exactly for poor counties


class RegionTable:
    """An immutable, validated set of regions, indexed by code."""

    def __init__(self, regions: Iterable[Region], renamed: Mapping[str, str] | None = None):
        """Index ``regions``; ``renamed`` maps retired county codes to their current ones."""
        self._by_code: dict[str, Region] = {}
        for region in sorted(regions, key=lambda r: r.code):
            _check(region)
            if region.code in self._by_code:
                raise ValueError(f"duplicate region code {region.code}")
            self._by_code[region.code] = region
        children: dict[str, list[Region]] = {code: [] for code in self._by_code}
        for region in self._by_code.values():
            if region.parent_code is None:
                continue
            parent = self._by_code.get(region.parent_code)
            expected = LEVELS[LEVELS.index(region.level) - 1]
            if parent is None or parent.level != expected:
                raise ValueError(f"region {region.code}: parent must be an existing {expected}")
            children[parent.code].append(region)
        self._children = {code: tuple(kids) for code, kids in children.items()}
        self._renamed = dict(renamed or {})
        for old, new in self._renamed.items():
            target = self._by_code.get(new)
            if old in self._by_code or target is None or target.level != "county":
                raise ValueError(f"renamed {old} -> {new}: not a retired code leading to a county")

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Region | None:
        """The region with this six-digit code, or None."""
        return self._by_code.get(code)

    def children(self, code: str) -> tuple[Region, ...]:
        """The regions directly under ``code``, by code; KeyError if ``code`` is unknown."""
        return self._children[self._require(code).code]

    def counties(self) -> tuple[Region, ...]:
        """All county-level divisions (县级行政区), by code."""
        return tuple(r for r in self if r.level == "county")

    def poverty_counties(self, area: str | None = None) -> tuple[Region, ...]:
        """The poor counties (贫困县), optionally only those of one poverty area."""
        if area is not None and area not in POVERTY_AREAS:
            raise ValueError(f"unknown poverty area {area!r}")
        return tuple(
            r for r in self if r.poverty_county and (area is None or r.poverty_area == area)
        )

    def ancestors(self, code: str) -> tuple[Region, ...]:
        """The regions above ``code``, nearest first: a county's city, then the province."""
        chain: list[Region] = []
        region = self._require(code)
        while region.parent_code is not None:
            region = self._by_code[region.parent_code]
            chain.append(region)
        return tuple(chain)

    def county_of_village(self, village_code: str) -> Region | None:
        """The county a village (行政村) lies in, from its 12-digit statistical code.

        The code's first six digits are its county's code; a retired county code (see
        ``renamed``) is mapped to the current county. Returns None when they name no county
        in the table, e.g. another province, or 嘉峪关市 which has no county level.
        """
        if len(village_code) != 12 or not (village_code.isascii() and village_code.isdigit()):
            raise ValueError(f"a village code has 12 digits, not {village_code!r}")
        prefix = village_code[:6]
        region = self.get(self._renamed.get(prefix, prefix))
        return region if region is not None and region.level == "county" else None

    def _require(self, code: str) -> Region:
        region = self._by_code.get(code)
        if region is None:
            raise KeyError(f"unknown region code {code!r}")
        return region


def _check(region: Region) -> None:
    where = f"region {region.code!r}"
    if len(region.code) != 6 or not (region.code.isascii() and region.code.isdigit()):
        raise ValueError(f"{where}: a code has six digits")
    if not region.name:
        raise ValueError(f"{where}: the name is empty")
    if region.level not in LEVELS:
        raise ValueError(f"{where}: level must be one of {LEVELS}")
    if (region.parent_code is None) != (region.level == "province"):
        raise ValueError(f"{where}: exactly the province has no parent")
    if region.poverty_county != (region.poverty_area is not None):
        raise ValueError(f"{where}: a poverty area is set exactly for poor counties")
    if region.poverty_county and region.level != "county":
        raise ValueError(f"{where}: only a county can be a poor county")
    if region.poverty_area is not None and region.poverty_area not in POVERTY_AREAS:
        raise ValueError(f"{where}: poverty area must be one of {POVERTY_AREAS}")


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"poverty_county must be 'true' or 'false', not {value!r}")
    return value == "true"


def read_regions(text: str, renamed: Mapping[str, str] | None = None) -> RegionTable:
    """Build a table from CSV text with the columns of ``COLUMNS`` and a header row."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise ValueError(f"the header must be {','.join(COLUMNS)}")
    regions = []
    for row in reader:
        line = reader.line_num
        if None in row or None in row.values():
            raise ValueError(f"line {line}: expected the {len(COLUMNS)} columns {COLUMNS}")
        try:
            regions.append(
                Region(
                    code=row["code"],
                    name=row["name"],
                    level=row["level"],
                    parent_code=row["parent_code"] or None,
                    poverty_county=_flag(row["poverty_county"]),
                    poverty_area=row["poverty_area"] or None,
                )
            )
            _check(regions[-1])
        except ValueError as error:
            raise ValueError(f"line {line}: {error}") from None
    return RegionTable(regions, renamed)


@cache
def gansu() -> RegionTable:
    """Gansu's province, 14 prefectures and 86 counties, read once from the shipped CSV."""
    package = __name__.rpartition(".")[0]
    text = resources.files(package).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return read_regions(text, GANSU_RENAMED_COUNTIES)
