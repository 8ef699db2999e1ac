"""What an import reports: each row's outcome, the totals, and the error report (row,
file number, column, and the message in Chinese with the English beside it)."""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuopin_eventkit.chinese import Catalogue
from tuopin_eventkit.security.identity import is_resident_id, mask_id

FILED: Final = "filed"
ALREADY_FILED: Final = "already filed"
REJECTED: Final = "rejected"


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row; ``column`` is the field (empty for the row as a whole)."""

    row: int
    file_number: str
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class RowResult:
    """What became of one row: its household was filed, was already filed, or was
    rejected (then ``errors`` are this row's own; they may be in another row of it)."""

    row: int
    file_number: str
    outcome: str
    household_id: str | None = None
    errors: tuple[RowError, ...] = ()


@dataclass
class Totals:
    rows: int = 0
    households: int = 0
    filed: int = 0  # households filed by this import
    already_filed: int = 0  # households skipped: their file number was filed before
    rejected: int = 0  # households rejected
    people: int = 0  # people filed by this import
    rejected_rows: int = 0

    def add(self, results: Sequence[RowResult]) -> None:
        previous: tuple[str, str] | None = None
        for result in results:
            self.rows += 1
            household = (result.file_number, result.outcome)
            first = household != previous
            previous = household
            self.households += first
            if result.outcome == FILED:
                self.filed += first
                self.people += 1
            elif result.outcome == ALREADY_FILED:
                self.already_filed += first
            else:
                self.rejected += first
                self.rejected_rows += 1


@dataclass(frozen=True)
class Progress:
    rows: int  # rows read so far
    expected_rows: int | None  # in the file, when known
    totals: Totals


@dataclass
class Report:
    import_id: str
    filename: str
    sha256: str
    started_at: datetime
    finished_at: datetime
    totals: Totals
    errors: list[RowError]  # in file order; a rejected row without errors of its own says so
    headers: dict[str, str]  # field → the header as the file writes it

    def errors_csv(self, said: Catalogue) -> str:
        """The error report: row, file number, column (as the file names it), and the
        message in Chinese (as ``said``, the registry's catalogue, says it: the same
        Chinese as the API's refusals) with the English beside it; headers in both. A
        message the catalogue does not know is given in English in both columns."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ERRORS_HEADER)
        for e in self.errors:
            column = self.headers.get(e.column, e.column)
            message = masked_identities(e.message)
            writer.writerow(
                [e.row, e.file_number, column, said.chinese(message) or message, message]
            )
        return out.getvalue()


ERRORS_HEADER: Final = (
    "行号 row",
    "户编号 file_number",
    "列 column",
    "错误 message (zh-CN)",
    "message (en)",
)


# An 18-character resident ID number standing alone in a message.
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


def masked_identities(message: str) -> str:
    """A message with every valid resident ID number in it masked. The identity checks
    mask their own messages; this catches a number in a wrong column ("… is not a date"),
    before the report is stored and downloaded. Only numbers passing the GB 11643 check
    are masked, so long file numbers and codes stay readable."""
    return _RESIDENT_ID.sub(lambda m: mask_id(m[0]) if is_resident_id(m[0]) else m[0], message)


def real_errors_first(results: Sequence[RowResult]) -> list[RowError]:
    """The rejected rows' errors, each household's own errors first and then one line for
    each of its rows without errors, so that the reason is read before the rows it kept out."""
    errors: list[RowError] = []
    others: list[RowError] = []
    household: str | None = None
    for result in results:
        if result.outcome != REJECTED:
            continue
        if result.file_number != household:
            errors += others
            others, household = [], result.file_number
        if result.errors:
            errors.extend(result.errors)
        else:
            others.append(_see_other_rows(result))
    return errors + others


def _see_other_rows(result: RowResult) -> RowError:
    return RowError(
        result.row,
        result.file_number,
        "",
        "not filed: another row of this household has errors",
    )
