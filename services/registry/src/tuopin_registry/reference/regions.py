"""Gansu's region table, from the shared reference data (``tuopin_contracts.reference``):
one source for every service. Re-exported here for the registry's existing callers."""

from functools import cache

from tuopin_contracts.reference.regions import (
    COLUMNS,
    DATA_FILE,
    GANSU_RENAMED_COUNTIES,
    LEVELS,
    POVERTY_AREAS,
    Region,
    RegionTable,
    gansu,
    read_regions,
)


@cache
def county_known(code: str) -> bool:
    """Whether a six-digit code names one of Gansu's counties (a retired code leads to its
    current county): a code of the right shape may name none."""
    return gansu().county_of_village(code + "000000") is not None


__all__ = [
    "COLUMNS",
    "DATA_FILE",
    "GANSU_RENAMED_COUNTIES",
    "LEVELS",
    "POVERTY_AREAS",
    "Region",
    "RegionTable",
    "county_known",
    "gansu",
    "read_regions",
]
