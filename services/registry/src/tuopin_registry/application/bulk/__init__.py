"""Bulk import of the province's existing 建档立卡 records, from CSV or XLSX exports.

An export has one row per person, with the household's columns repeated on each member's
row and the rows of a household together (grouped by 户编号, the file number). The import

- reads English or Chinese headers and values: :mod:`.columns` is the whole mapping, as
  data, and :mod:`.cells` reads each cell by it;
- checks every row (:mod:`.rows`), and rejects a household whole when any of its rows is
  bad, with every error of every row (row numbers as the spreadsheet shows them): nothing
  of it is written;
- files the valid households in batches, one transaction and a handful of statements per
  batch (:mod:`.filing`), each household one ``HouseholdRegistered`` event decided by the
  domain's own filing rules and the same identity checks as a filing over HTTP, so an
  import's messages are the API's;
- skips households whose file number is already filed and reports them as such
  (:mod:`.report`), so importing a file again changes nothing, and an interrupted import
  resumes where it stopped when it is simply run again. (A filed household is never
  updated from a file: later changes go through the household's own commands.)

No files and no environment here: the adapters open the file (``adapters/sheets.py``) and
pass the service's keys and people vault in; the CLI (``tuopin registry import FILE``) and
the HTTP upload (``adapters/imports.py``) are two ways of calling :func:`.run.import_sheet`.
"""

from tuopin_registry.application.bulk.columns import COLUMNS
from tuopin_registry.application.bulk.report import Progress, Report, RowError, Totals
from tuopin_registry.application.bulk.rows import Filing, Sheet, UnreadableFile, open_rows
from tuopin_registry.application.bulk.run import DEFAULT_BATCH, import_sheet

__all__ = [
    "COLUMNS",
    "DEFAULT_BATCH",
    "Filing",
    "Progress",
    "Report",
    "RowError",
    "Sheet",
    "Totals",
    "UnreadableFile",
    "import_sheet",
    "open_rows",
]
