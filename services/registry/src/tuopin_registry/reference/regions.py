"""Gansu's region table, from the shared reference data (``tuopin_contracts.reference``):
one source for every service. Re-exported here for the registry's existing callers."""

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

__all__ = [
    "COLUMNS",
    "DATA_FILE",
    "GANSU_RENAMED_COUNTIES",
    "LEVELS",
    "POVERTY_AREAS",
    "Region",
    "RegionTable",
    "gansu",
    "read_regions",
]
