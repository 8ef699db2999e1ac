"""From a sheet's rows to households as read: the header found among the first rows,
each household's rows grouped by file number, their cells parsed, and every problem
pinned to its row and column. Opening the file (CSV, XLSX) is the adapters' part."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final

from tuopin_registry.application.bulk.cells import PARSE, Bad, as_text, folded
from tuopin_registry.application.bulk.columns import (
    COLUMNS,
    HEADER_SEARCH_ROWS,
    HOUSEHOLD_FIELDS,
    MAX_MEMBERS,
    MEMBER_FIELDS,
    REQUIRED,
)
from tuopin_registry.application.bulk.report import RowError


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX export the import can read (nothing was imported)."""


@dataclass
class Filing:
    """One household as read from the file: its rows, the household's values (from its
    first row), each member's values, and what was wrong with them as read."""

    file_number: str
    rows: list[int]
    household: dict[str, Any]
    members: list[dict[str, Any]]
    errors: list[RowError] = field(default_factory=list)


@dataclass
class Sheet:
    """A file opened for import (by the adapters, :func:`open_rows` finding its header):
    which column holds which field, and the rows below the header as (row number, cells)."""

    columns: dict[str, int]
    headers: dict[str, str]  # field → the header as the file writes it
    rows: Iterator[tuple[int, Sequence[Any]]]
    expected_rows: int | None  # rows below the header, when the file says (for progress)


HEADERS: Final = {
    folded(header): name
    for name, aliases in COLUMNS.items()
    for header in [name, *aliases.split(), *aliases.replace("/", "／").split()]
}


def _header(cells: Sequence[Any]) -> tuple[dict[str, int], dict[str, str]] | None:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(cells):
        text = as_text(cell)
        name = HEADERS.get(folded(text.lstrip("\ufeff"))) if text else None
        if name is None:
            continue  # exports carry many more columns (phone, bank account …)
        if name in columns:
            raise UnreadableFile(f"two columns hold {name}: {headers[name]!r} and {text!r}")
        columns[name], headers[name] = index, (text or name).lstrip("\ufeff")
    if "file_number" not in columns or "id_number" not in columns:
        return None
    return columns, headers


def open_rows(rows: Iterator[Sequence[Any]], expected: int | None) -> Sheet:
    """Find the header among the first rows (titles may sit above it) and go on below it."""
    for number, cells in enumerate(rows, start=1):
        found = _header(cells)
        if found is not None:
            columns, headers = found
            missing = sorted(REQUIRED - set(columns))
            if missing:
                names = ", ".join(f"{m} ({COLUMNS[m].split()[0]})" for m in missing)
                raise UnreadableFile(f"missing columns: {names}")
            return Sheet(
                columns,
                headers,
                enumerate(rows, start=number + 1),
                None if expected is None else max(expected - number, 0),
            )
        if number >= HEADER_SEARCH_ROWS:
            break
    raise UnreadableFile(
        "no header row naming the file number (户编号 or file_number) and the ID number "
        f"(证件号码 or id_number) in the first {HEADER_SEARCH_ROWS} rows"
    )


def read_filings(sheet: Sheet) -> Iterator[Filing]:
    """The households of a file in file order, each with its rows' values parsed and the
    errors found on the way. A household's rows must be together: a file number seen again
    after other households is a duplicate (reported; the first one stands)."""
    seen: dict[str, int] = {}  # file number → its first row, once its rows are done
    group: list[tuple[int, dict[str, Any]]] = []
    current: str | None = None
    columns = list(sheet.columns.items())
    # A full row's cells in one C call; a short row (trailing blanks cut) cell by cell.
    names, indexes = [n for n, _ in columns], [i for _, i in columns]
    pick = itemgetter(*indexes) if len(indexes) > 1 else lambda row: (row[indexes[0]],)
    width = max(indexes) + 1
    for number, row in sheet.rows:
        if len(row) >= width:
            cells = dict(zip(names, pick(row), strict=True))
        else:
            cells = {name: row[i] for name, i in columns if i < len(row)}
        if _blank(cells):
            continue  # blank rows, common at the end of spreadsheets
        file_number = as_text(cells.get("file_number")) or ""
        if group and file_number != current:
            yield _filing(current or "", group, seen)
            seen.setdefault(current or "", group[0][0])
            group = []
        current = file_number
        group.append((number, cells))
    if group:
        yield _filing(current or "", group, seen)


def _blank(cells: dict[str, Any]) -> bool:
    try:  # a CSV row: text only, joined at C speed
        return not "".join(cells.values())
    except TypeError:  # XLSX cells: numbers, dates, None
        return not any(v is not None and v != "" for v in cells.values())


def _garbled(cells: dict[str, Any]) -> bool:
    """Whether a cell holds U+FFFD, what decoding put in place of bytes it could not read."""
    try:
        return "\ufffd" in "".join(cells.values())
    except TypeError:
        return any(isinstance(v, str) and "\ufffd" in v for v in cells.values())


def _filing(
    file_number: str, group: list[tuple[int, dict[str, Any]]], seen: dict[str, int]
) -> Filing:
    errors: list[RowError] = []
    first_row, first = group[0]
    if file_number in seen:
        errors.append(
            RowError(
                first_row,
                file_number,
                "file_number",
                f"file number {file_number} is used again (first at row {seen[file_number]}); "
                "a household's rows must be together and its file number used once",
            )
        )
    _parse_fields(("file_number",), first, first_row, file_number, errors)
    household = _parse_fields(HOUSEHOLD_FIELDS, first, first_row, file_number, errors)
    if household.get("county_code") is None and household.get("village_code"):
        household["county_code"] = household["village_code"][:6]
    household["secondary_causes"] = list(household.get("secondary_causes") or ())
    members = []
    repeated = [first.get(name) for name in HOUSEHOLD_FIELDS]
    for number, cells in group:
        if _garbled(cells):
            errors.append(
                RowError(number, file_number, "", "the row's text is not valid UTF-8 or GB18030")
            )
        # Most members' rows repeat the household's cells as they are: one comparison.
        if number != first_row and [cells.get(name) for name in HOUSEHOLD_FIELDS] != repeated:
            for name in HOUSEHOLD_FIELDS:
                raw = cells.get(name)
                if raw == first.get(name) or as_text(raw) is None:
                    continue  # repeated, or blank on members' rows: both are fine
                try:
                    same = PARSE[name](raw) == PARSE[name](first.get(name))
                except Bad:
                    same = False
                if not same:
                    errors.append(
                        RowError(
                            number,
                            file_number,
                            name,
                            f"{as_text(raw)!r} differs from the household's first row "
                            f"({first_row}: {as_text(first.get(name))!r})",
                        )
                    )
        members.append(_parse_fields(MEMBER_FIELDS, cells, number, file_number, errors))
    if len(group) > MAX_MEMBERS:
        errors.append(
            RowError(
                group[MAX_MEMBERS][0],
                file_number,
                "",
                f"a household has at most {MAX_MEMBERS} members, not {len(group)}",
            )
        )
    return Filing(file_number, [n for n, _ in group], household, members, errors)


def _parse_fields(
    fields: tuple[str, ...],
    cells: dict[str, Any],
    row: int,
    file_number: str,
    errors: list[RowError],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parse, required in _PARSERS[fields]:
        try:
            value = parse(cells.get(name))
        except Bad as exc:
            errors.append(RowError(row, file_number, name, str(exc)))
            continue
        if value is None and required:
            errors.append(RowError(row, file_number, name, "is required"))
        values[name] = value
    return values


# Each set of fields read together, with its parsers and whether each is required: looked
# up once, not for every cell of millions of rows.
_PARSERS: Final = {
    fields: [(name, PARSE[name], name in REQUIRED) for name in fields]
    for fields in (("file_number",), HOUSEHOLD_FIELDS, MEMBER_FIELDS)
}
