"""Bulk import of the province's existing 建档立卡 records, from CSV or XLSX exports.

An export has one row per person, with the household's columns repeated on each member's
row and the rows of a household together (grouped by 户编号, the file number). The import

- reads English or Chinese headers and values: the tables in the first section below are
  the whole mapping, as data;
- checks every row, and rejects a household whole when any of its rows is bad, with every
  error of every row (row numbers as the spreadsheet shows them): nothing of it is written;
- files the valid households in batches, one transaction and a handful of statements per
  batch (:func:`file_batch`), each household one ``HouseholdRegistered`` event decided by
  the same domain rules and identity checks as a filing over HTTP;
- skips households whose file number is already filed and reports them as such, so
  importing a file again changes nothing, and an interrupted import resumes where it
  stopped when it is simply run again. (A filed household is never updated from a file:
  later changes go through the household's own commands, with their history.)

No web framework here: the CLI (``tuopin registry import FILE``) and the HTTP upload
(adapters/imports.py) are two ways of calling :func:`import_file`.
"""

import asyncio
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import ValidationError
from sqlalchemy import Text, func, insert, literal, select
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.dates import FIRST_DAY, LAST_DAY
from tuopin_contracts.text import personal_number
from tuopin_contracts.vocabulary import (
    Education,
    Health,
    LabourAbility,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)
from tuopin_eventkit import context
from tuopin_eventkit.aggregate import InvalidTransition, RuleViolation
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.identity import IdentityKeys, is_resident_id, mask_id
from tuopin_eventkit.store import Append, ConcurrencyConflict, EventStore, NewEvent
from tuopin_registry.application import import_messages, people
from tuopin_registry.application.commands import Entered, new_member
from tuopin_registry.application.household_index import household_members, households
from tuopin_registry.application.mapping import EVENTS
from tuopin_registry.application.mapping import households as household_repository
from tuopin_registry.application.sealing import PeopleKey
from tuopin_registry.domain import events as ev
from tuopin_registry.domain.household import Household
from tuopin_registry.reference.regions import gansu

# --- what an export may say: column headers and values --------------------------------

# Each field, with the Chinese headers it may carry (the usual one first; space-separated).
# Its English name is a header as well.
COLUMNS: Final[dict[str, str]] = {
    "file_number": "户编号 户码 档案编号",
    "county_code": "县代码 县编码 县级行政区划代码",
    "village_code": "村代码 村编码 行政村代码",
    "poverty_attribute": "贫困户属性",
    "primary_cause": "主要致贫原因",
    "secondary_causes": "其他致贫原因 次要致贫原因",
    "identified_year": "识别年度 识别年份",
    "effective_date": "建档日期 识别日期",
    # A back-filled household's history, when the export carries it (each optional).
    "assisted_on": "帮扶日期 开始帮扶日期",
    "exited_on": "脱贫日期 脱贫时间",
    "returned_on": "返贫日期 返贫时间",
    "return_cause": "返贫原因",
    "name": "姓名",
    "id_number": "证件号码 身份证号码 身份证号",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "education": "文化程度",
    "schooling": "在校生状况 在校生情况",
    "health": "健康状况",
    "disabled": "是否残疾",
    "labour_ability": "劳动技能 劳动能力",
    "medical_insurance": "是否参加新农合/医保 是否参加新农合 是否参加城乡居民基本医疗保险",
    "pension_insurance": "是否参加养老保险 是否参加城乡居民基本养老保险",
}
# What happened to a household after it was filed, in the order it happens.
HISTORY_FIELDS: Final = ("assisted_on", "exited_on", "returned_on", "return_cause")
OPTIONAL: Final = frozenset(
    "county_code secondary_causes sex birth_date education schooling health disabled "
    "labour_ability medical_insurance pension_insurance".split()
) | set(HISTORY_FIELDS)  # the county is then taken from the village's code, which begins with it
REQUIRED: Final = frozenset(COLUMNS) - OPTIONAL
HOUSEHOLD_FIELDS: Final = (
    *"county_code village_code poverty_attribute primary_cause secondary_causes "
    "identified_year effective_date".split(),
    *HISTORY_FIELDS,
)
MEMBER_FIELDS: Final = tuple(f for f in COLUMNS if f not in HOUSEHOLD_FIELDS and f != "file_number")

# Each code's Chinese labels, the usual one first (error messages name it); the code's own
# English value is accepted as well.
LABELS: Final[dict[type[StrEnum], dict[Any, str]]] = {
    PovertyAttribute: {
        PovertyAttribute.GENERAL: "一般贫困户 一般户",
        PovertyAttribute.SUBSISTENCE_ALLOWANCE: "低保贫困户 低保户",
        PovertyAttribute.FIVE_GUARANTEES: "五保贫困户 五保户 特困供养户",
    },
    PovertyCause: {
        PovertyCause.ILLNESS: "因病",
        PovertyCause.DISABILITY: "因残",
        PovertyCause.SCHOOLING: "因学",
        PovertyCause.DISASTER: "因灾",
        PovertyCause.LACK_OF_LAND: "缺土地",
        PovertyCause.LACK_OF_WATER: "缺水",
        PovertyCause.LACK_OF_TECHNOLOGY: "缺技术",
        PovertyCause.LACK_OF_LABOUR: "缺劳力 缺劳动力",
        PovertyCause.LACK_OF_FUNDS: "缺资金",
        PovertyCause.LACK_OF_TRANSPORT: "交通条件落后 交通落后",
        PovertyCause.OWN_EFFORT: "自身发展动力不足 自身发展力不足",
    },
    Relation: {
        Relation.HEAD: "户主 本人",
        Relation.SPOUSE: "配偶 之妻 之夫 妻子 丈夫",
        Relation.CHILD: "之子 之女 子 女 儿子 女儿 之养子 之养女 之继子 之继女",
        Relation.CHILD_IN_LAW: "之儿媳 之女婿 儿媳 女婿",
        Relation.GRANDCHILD: "之孙子 之孙女 之外孙子 之外孙女 孙子 孙女 之曾孙子 之曾孙女",
        Relation.PARENT: "之父母 之父 之母 之父亲 之母亲 父亲 母亲 之公公 之婆婆 之岳父 之岳母",
        Relation.GRANDPARENT: "之祖父母 之祖父 之祖母 之外祖父 之外祖母",
        Relation.SIBLING: "之兄弟姐妹 之兄 之弟 之姐 之妹 兄弟姐妹",
        Relation.OTHER: "其他 其它",
    },
    Sex: {Sex.MALE: "男", Sex.FEMALE: "女"},
    Education: {
        Education.NONE: "文盲或半文盲 文盲 半文盲",
        Education.PRIMARY: "小学",
        Education.JUNIOR_SECONDARY: "初中",
        Education.SENIOR_SECONDARY: "高中 中专 中职 高中（中专） 高中(中专)",
        Education.TERTIARY: "大专及以上 大专 本科 研究生",
        Education.PRESCHOOL: "学龄前儿童 学龄前",
    },
    Schooling: {
        Schooling.NOT_IN_SCHOOL: "非在校生 不在校",
        Schooling.PRESCHOOL: "学前教育 学前班 幼儿园",
        Schooling.PRIMARY: "小学 一年级 二年级 三年级 四年级 五年级 六年级",
        Schooling.JUNIOR_SECONDARY: "初中 七年级 八年级 九年级",
        Schooling.SENIOR_SECONDARY: "高中",
        Schooling.VOCATIONAL: "中职 中专 技校",
        Schooling.TERTIARY: "高职 大专 本科 研究生",
        Schooling.DROPPED_OUT: "辍学",
    },
    Health: {
        Health.HEALTHY: "健康",
        Health.CHRONIC_ILLNESS: "长期慢性病 慢性病",
        Health.SERIOUS_ILLNESS: "患有大病 大病",
        Health.DISABLED: "残疾",
    },
    LabourAbility: {
        LabourAbility.FULL: "普通劳动力",
        LabourAbility.SKILLED: "技能劳动力",
        LabourAbility.PARTIAL: "弱劳动力或半劳动力 弱劳动力 半劳动力",
        LabourAbility.NONE: "丧失劳动力",
        LabourAbility.NOT_WORKING_AGE: "无劳动力",
    },
}
# 在校生状况 often names the grade (小学三年级, 高中一年级, 中职二年级 …): the label it
# begins with decides.
PREFIXED: Final[frozenset[type[StrEnum]]] = frozenset({Schooling})
YES: Final = frozenset({"是", "有", "参加", "已参加", "y", "yes", "true", "1"})
NO: Final = frozenset({"否", "无", "未参加", "不参加", "n", "no", "false", "0"})
CAUSE_SEPARATORS: Final = re.compile(r"[、;,|；，｜]")
MAX_MEMBERS: Final = 30
MAX_SECONDARY_CAUSES: Final = 5
YEARS: Final = range(2013, 2101)
HEADER_SEARCH_ROWS: Final = 20  # title rows above the header are common in exports

# --- results --------------------------------------------------------------------------

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
class Filing:
    """One household as read from the file: its rows, the household's values (from its
    first row), each member's values, and what was wrong with them as read."""

    file_number: str
    rows: list[int]
    household: dict[str, Any]
    members: list[dict[str, Any]]
    errors: list[RowError] = field(default_factory=list)


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX export the import can read (nothing was imported)."""


# --- reading cells ---------------------------------------------------------------------


class Bad(ValueError):
    """A cell the import cannot read; the message says why, for the errors file."""


def _text(raw: Any) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip()
    if "\x00" in text:  # no database stores it in text (PostgreSQL refuses it)
        raise Bad("a NUL character is not allowed")
    return text or None


def _key(text: str) -> str:
    return text.replace(" ", "").replace("\u3000", "").lower()


def _choices(kind: type[StrEnum]) -> tuple[dict[str, Any], str]:
    table: dict[str, Any] = {}
    for code, labels in LABELS[kind].items():
        for label in [*labels.split(), code.value]:
            table[_key(label)] = code
    return table, "、".join(labels.split()[0] for labels in LABELS[kind].values())


def _choice(kind: type[StrEnum]) -> Callable[[Any], Any]:
    table, expected = _choices(kind)
    prefixes = sorted(table, key=len, reverse=True) if kind in PREFIXED else []

    def parse(raw: Any) -> Any:
        text = _text(raw)
        if text is None:
            return None
        key = _key(text)
        found = table.get(key)
        if found is None:
            found = next((table[p] for p in prefixes if key.startswith(p)), None)
        if found is None:
            raise Bad(f"unknown value {text!r}; expected one of {expected}")
        return found

    return parse


_cause = _choice(PovertyCause)


def _causes(raw: Any) -> tuple[PovertyCause, ...]:
    text = _text(raw)
    if text is None:
        return ()
    causes = tuple(_cause(part) for part in CAUSE_SEPARATORS.split(text) if part.strip())
    if len(causes) > MAX_SECONDARY_CAUSES:
        raise Bad(f"at most {MAX_SECONDARY_CAUSES} other causes, not {len(causes)}")
    return causes


def _code(digits: int) -> Callable[[Any], str | None]:
    def parse(raw: Any) -> str | None:
        text = _text(raw)
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
        text = _text(raw)
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
    text = _text(raw)
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
    text = _text(raw)
    if text is None:
        return False
    key = _key(text)
    if key in YES:
        return True
    if key in NO:
        return False
    raise Bad(f"{text!r} is neither 是 nor 否")


def _limited(shortest: int, longest: int) -> Callable[[Any], str | None]:
    def parse(raw: Any) -> str | None:
        text = _text(raw)
        if text is not None and not shortest <= len(text) <= longest:
            raise Bad(f"{len(text)} characters; {shortest} to {longest} are allowed")
        return text

    return parse


def _name(raw: Any) -> str | None:
    """A name, free text: refused when it holds a personal number (``FreeText``'s rule)."""
    text = _limited(1, 50)(raw)
    found = personal_number(text) if text else None
    if found is not None:
        raise Bad(f"a name must not hold {found}")
    return text


def _id_number(raw: Any) -> str | None:
    if isinstance(raw, int | float):  # an 18-digit number has already lost its last digits
        raise Bad("the ID number is stored as a number; format the column as text")
    return _text(raw)


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
        "poverty_attribute": _choice(PovertyAttribute),
        "primary_cause": _cause,
        "secondary_causes": _causes,
        "identified_year": _year,
        "effective_date": _date,
        "assisted_on": _date,
        "exited_on": _date,
        "returned_on": _date,
        "return_cause": _cause,
        "relation": _choice(Relation),
        "sex": _choice(Sex),
        "birth_date": _date,
        "education": _choice(Education),
        "schooling": _choice(Schooling),
        "health": _choice(Health),
        "disabled": _flag,
        "labour_ability": _choice(LabourAbility),
        "medical_insurance": _flag,
        "pension_insurance": _flag,
    }.items()
}


def _parse_fields(
    fields: Iterable[str],
    cells: dict[str, Any],
    row: int,
    file_number: str,
    errors: list[RowError],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields:
        try:
            value = PARSE[name](cells.get(name))
        except Bad as exc:
            errors.append(RowError(row, file_number, name, str(exc)))
            continue
        if value is None and name in REQUIRED:
            errors.append(RowError(row, file_number, name, "is required"))
        values[name] = value
    return values


# --- reading files ----------------------------------------------------------------------


@dataclass
class Sheet:
    """A file opened for import: which column holds which field, and the rows below the
    header as (row number, cells)."""

    columns: dict[str, int]
    headers: dict[str, str]  # field → the header as the file writes it
    rows: Iterator[tuple[int, Sequence[Any]]]
    expected_rows: int | None  # rows below the header, when the file says (for progress)


HEADERS: Final = {
    _key(header): name
    for name, aliases in COLUMNS.items()
    for header in [name, *aliases.split(), *aliases.replace("/", "／").split()]
}


def _header(cells: Sequence[Any]) -> tuple[dict[str, int], dict[str, str]] | None:
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    for index, cell in enumerate(cells):
        text = _text(cell)
        name = HEADERS.get(_key(text.lstrip("\ufeff"))) if text else None
        if name is None:
            continue  # exports carry many more columns (phone, bank account …)
        if name in columns:
            raise UnreadableFile(f"two columns hold {name}: {headers[name]!r} and {text!r}")
        columns[name], headers[name] = index, (text or name).lstrip("\ufeff")
    if "file_number" not in columns or "id_number" not in columns:
        return None
    return columns, headers


def _open_rows(rows: Iterator[Sequence[Any]], expected: int | None) -> Sheet:
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


def _csv_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of the sample
            return "gb18030"  # what Excel on a Chinese Windows writes as "CSV"
    return "utf-8"


@contextmanager
def open_sheet(path: Path) -> Iterator[Sheet]:
    """Open a CSV (UTF-8, with or without BOM; GB18030 is recognised too) or XLSX export."""
    try:
        raw = open(path, "rb")
        head = raw.read(1 << 16)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    with raw:
        if head.startswith(b"PK\x03\x04"):
            with _xlsx(path) as sheet:
                yield sheet
            return
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnreadableFile("an XLS (Excel 97–2003) file: save it as XLSX or CSV")
        if b"\x00" in head:
            raise UnreadableFile("neither a CSV nor an XLSX file")
        lines = head.count(b"\n") + sum(chunk.count(b"\n") for chunk in _chunks(raw))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=_csv_encoding(head), errors="replace", newline="")
        try:
            yield _open_rows(iter(csv.reader(text)), lines + (not head.endswith(b"\n")))
        except csv.Error as exc:
            raise UnreadableFile(f"not a readable CSV file: {exc}") from exc
        finally:
            text.detach()


def _chunks(raw: io.BufferedReader) -> Iterator[bytes]:
    while chunk := raw.read(1 << 20):
        yield chunk


@contextmanager
def _xlsx(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # only XLSX imports pay for loading it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"not a readable XLSX file: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(min_row=1, values_only=True)
        yield _open_rows(rows, sheet.max_row)
    finally:
        book.close()


def read_filings(sheet: Sheet) -> Iterator[Filing]:
    """The households of a file in file order, each with its rows' values parsed and the
    errors found on the way. A household's rows must be together: a file number seen again
    after other households is a duplicate (reported; the first one stands)."""
    seen: dict[str, int] = {}  # file number → its first row, once its rows are done
    group: list[tuple[int, dict[str, Any]]] = []
    current: str | None = None
    columns = list(sheet.columns.items())
    for number, row in sheet.rows:
        cells = {name: row[i] for name, i in columns if i < len(row)}
        if _blank(cells):
            continue  # blank rows, common at the end of spreadsheets
        file_number = _text(cells.get("file_number")) or ""
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
    for number, cells in group:
        if _garbled(cells):
            errors.append(
                RowError(number, file_number, "", "the row's text is not valid UTF-8 or GB18030")
            )
        if number != first_row:
            for name in HOUSEHOLD_FIELDS:
                raw = cells.get(name)
                if raw == first.get(name) or _text(raw) is None:
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
                            f"{_text(raw)!r} differs from the household's first row "
                            f"({first_row}: {_text(first.get(name))!r})",
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


# --- filing a batch -----------------------------------------------------------------------


@dataclass
class _Decided:
    """A household that passed every check the file alone allows, ready to be filed."""

    index: int
    household: Household
    people: list[tuple[int, Entered]]  # (row, member with their vault row)
    events: list[NewEvent]


async def file_batch(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    filings: Sequence[Filing],
    vault: PeopleKey | None = None,
) -> list[RowResult]:
    """File many households in the caller's transaction, in a handful of statements.

    A household is rejected whole (with every row's errors) when a row is bad, a domain
    rule fails, a person is already an active member of another household, or a person or
    file number appears twice in the batch; a household whose file number is already filed
    is skipped as ``already filed``. The others are filed: the clear ID numbers sealed
    into the people vault (under ``vault``, the configured key by default), one
    ``HouseholdRegistered`` event each through one ``append_many``.
    """
    vault = vault or configured_vault()
    outcome: list[list[RowResult] | None] = [None] * len(filings)
    for i, filing in enumerate(filings):
        if filing.errors:
            outcome[i] = _rejected(filing, filing.errors)

    # Already filed: skipped before any costly check, so an import resumes quickly.
    open_ = [i for i, o in enumerate(outcome) if o is None]
    filed = await _filed(conn, [filings[i].file_number for i in open_])
    numbers: set[str] = set()
    for i in open_:
        filing = filings[i]
        if filing.file_number in filed:
            outcome[i] = _skipped(filing, filed[filing.file_number])
        elif filing.file_number in numbers:
            outcome[i] = _rejected(
                filing,
                [
                    RowError(
                        filing.rows[0],
                        filing.file_number,
                        "file_number",
                        f"file number {filing.file_number} is twice in the batch",
                    )
                ],
            )
        numbers.add(filing.file_number)

    decided = []
    for i, filing in enumerate(filings):
        if i % 50 == 49:
            await asyncio.sleep(0)  # a service's other requests go on during an upload
        if outcome[i] is None:
            done = _decide(keys, vault, i, filing)
            if isinstance(done, _Decided):
                decided.append(done)
            else:
                outcome[i] = _rejected(filing, done)

    # From here on the batch holds the append lock: no other writer can file the same
    # file number or person between these checks and the insert.
    await store.lock_appends(conn)
    filed = await _filed(conn, [filings[d.index].file_number for d in decided])
    active = await _active(conn, [e.member.id_number_hash for d in decided for _, e in d.people])
    claimed: dict[str, tuple[str, int]] = {}  # identity → (file number, row) in this batch
    stream_type = household_repository(store).stream_type
    appends, sealed = [], []
    for d in decided:
        filing = filings[d.index]
        if filing.file_number in filed:  # filed by another writer while this batch was read
            outcome[d.index] = _skipped(filing, filed[filing.file_number])
            continue
        errors = []
        for row, entered in d.people:
            identity = entered.member.id_number_hash or ""
            if identity in active:
                household_id, file_number = active[identity]
                errors.append(
                    RowError(
                        row,
                        filing.file_number,
                        "id_number",
                        f"person {entered.masked} is already a member of household "
                        f"{file_number} ({household_id})",
                    )
                )
            elif identity in claimed:
                errors.append(
                    RowError(
                        row,
                        filing.file_number,
                        "id_number",
                        f"person {entered.masked} is also a member of household "
                        f"{claimed[identity][0]} (row {claimed[identity][1]}) in this file",
                    )
                )
        if errors:
            outcome[d.index] = _rejected(filing, errors)
            continue
        for row, entered in d.people:
            claimed[entered.member.id_number_hash or ""] = (filing.file_number, row)
            sealed.append(entered.vault_row)
        appends.append(Append(stream_type, d.household.id, 0, d.events))
        outcome[d.index] = [
            RowResult(row, filing.file_number, FILED, d.household.id) for row in filing.rows
        ]
    if sealed:
        await conn.execute(insert(people.people), sealed)
        await store.append_many(conn, appends)
    return [result for results in outcome if results for result in results]


def _decide(
    keys: IdentityKeys, vault: PeopleKey, index: int, filing: Filing
) -> _Decided | list[RowError]:
    """Members from their rows (ID numbers checked, hashed, masked, sealed) and the
    household from the domain's rules; or every error found."""
    errors: list[RowError] = []
    entered: list[tuple[int, Entered]] = []
    for row, details in zip(filing.rows, filing.members, strict=True):
        try:
            person = new_member(keys, vault, details)
        except RuleViolation as exc:
            message = str(exc)
            column = next((c for c in ("sex", "birth_date") if message.startswith(c)), "id_number")
            errors.append(RowError(row, filing.file_number, column, message))
            continue
        entered.append((row, person))
    errors += _household_rules(filing, entered)
    if errors:
        return errors
    filed = {k: v for k, v in filing.household.items() if k not in HISTORY_FIELDS}
    try:
        household = Household.register(
            ev.HouseholdRegistered(
                household_id=str(uuid4()),
                file_number=filing.file_number,
                members=[e.member for _, e in entered],
                **filed,
            )
        )
        registered = _to_contract(household.pending[0])
    except (RuleViolation, ValidationError) as exc:  # the rules below missed a case
        return [RowError(filing.rows[0], filing.file_number, "", str(exc))]
    history_errors = _history(household, filing)
    if history_errors:
        return history_errors
    contract = [registered, *(EVENTS.to_contract(e) for e in household.pending[1:])]
    events = [NewEvent(type=e.TYPE, data=e.model_dump(mode="json")) for e in contract]
    return _Decided(index, household, entered, events)


def _history(household: Household, filing: Filing) -> list[RowError]:
    """A back-filled household's later steps, dated as they happened, through the
    household's own rules (a step before the one it follows, or a return without an
    exit, is refused): assistance, an exit verified in the old records, a return."""
    h, row, number = filing.household, filing.rows[0], filing.file_number
    steps: list[tuple[str, Callable[[], None]]] = []
    if h.get("assisted_on"):
        steps.append(("assisted_on", lambda: household.start_assistance(h["assisted_on"], None)))
    if h.get("exited_on"):
        verification = str(uuid5(NAMESPACE_URL, f"tuopin:earlier-exit:{household.id}"))
        source = f"the import of file number {number}"
        steps.append(
            (
                "exited_on",
                lambda: household.record_earlier_exit(verification, h["exited_on"], source),
            )
        )
    if h.get("returned_on") or h.get("return_cause"):
        if not (h.get("returned_on") and h.get("return_cause")):
            return [RowError(row, number, "returned_on", "a return gives its date and its cause")]
        steps.append(
            ("returned_on",
             lambda: household.return_to_poverty(h["return_cause"], h["returned_on"], None))
        )  # fmt: skip
    for column, step in steps:
        try:
            step()
        except (RuleViolation, InvalidTransition) as exc:
            return [RowError(row, number, column, str(exc))]
    return []


def _to_contract(event: ev.HouseholdRegistered) -> Any:
    """``mapping.to_contract`` without its deep ``asdict`` copy, a third of a filing's cost:
    the event's fields and its members' are plain values, so shallow dicts will do."""
    fields = {**vars(event), "members": [vars(m) for m in event.members]}
    return EVENTS.contract_of[type(event)].model_validate(fields)


def _household_rules(filing: Filing, entered: list[tuple[int, Entered]]) -> list[RowError]:
    """The domain's filing rules, checked first here to point at the row and column."""
    file_number, first = filing.file_number, filing.rows[0]
    errors = []
    county, village = filing.household["county_code"], filing.household["village_code"]
    if gansu().county_of_village(county + "000000") is None:
        errors.append(RowError(first, file_number, "county_code", f"no county {county} in Gansu"))
    elif not village.startswith(county):
        errors.append(
            RowError(
                first,
                file_number,
                "village_code",
                f"village {village} does not lie in county {county}",
            )
        )
    heads = [
        row
        for row, m in zip(filing.rows, filing.members, strict=True)
        if m["relation"] is Relation.HEAD
    ]
    if not heads:
        errors.append(RowError(first, file_number, "relation", "the household has no head (户主)"))
    for row in heads[1:]:
        errors.append(
            RowError(
                row, file_number, "relation", f"a second head (户主); the first is row {heads[0]}"
            )
        )
    rows_of: dict[str, int] = {}
    for row, person in entered:
        before = rows_of.setdefault(person.member.id_number_hash or "", row)
        if before != row:
            errors.append(
                RowError(
                    row,
                    file_number,
                    "id_number",
                    f"person {person.masked} is already in this household (row {before})",
                )
            )
    primary, secondary = filing.household["primary_cause"], filing.household["secondary_causes"]
    if primary in secondary:
        errors.append(
            RowError(
                first,
                file_number,
                "secondary_causes",
                f"{primary} is the primary cause; it cannot be another cause too",
            )
        )
    if len(set(secondary)) != len(secondary):
        errors.append(RowError(first, file_number, "secondary_causes", "a cause is listed twice"))
    return errors


async def _filed(conn: AsyncConnection, file_numbers: list[str]) -> dict[str, str]:
    """File number → household id, for those already filed."""
    found: dict[str, str] = {}
    for wanted, matches in _lookups(conn, households.c.file_number, file_numbers):
        query = select(households.c.file_number, households.c.household_id)
        if wanted is not None:
            query = query.select_from(wanted).join(households, matches)
        rows = await conn.execute(query.where(matches))
        found.update((number, household) for number, household in rows)
    return found


async def _active(conn: AsyncConnection, identities: list[str]) -> dict[str, tuple[str, str]]:
    """Identity hash → (household id, file number), for people active in a household:
    ``people.refuse_duplicates`` for a whole batch at once."""
    found: dict[str, tuple[str, str]] = {}
    members = household_members
    for wanted, matches in _lookups(conn, members.c.id_number_hash, identities):
        query = select(members.c.id_number_hash, members.c.household_id, households.c.file_number)
        if wanted is not None:
            query = query.select_from(wanted).join(members, matches)
        rows = await conn.execute(
            query.join(households, households.c.household_id == members.c.household_id).where(
                ACTIVE, matches
            )
        )
        found.update((identity, (household, number)) for identity, household, number in rows)
    return found


ACTIVE = people.ACTIVE


def _lookups(conn: AsyncConnection, column: Any, values: list[str]) -> Iterator[tuple[Any, Any]]:
    """How to find rows whose ``column`` is one of ``values``, as (FROM item or None,
    condition), in parts.

    SQLite: a bounded IN list (at most 32,766 parameters a statement). PostgreSQL: a join
    with ``unnest`` of one array parameter, looked up value by value in the index; an IN
    list of a prepared statement's parameters is matched row by row once the plan goes
    generic, a sequential scan costing seconds a batch once the province is loaded.
    """
    size = 50_000 if is_postgres(conn) else 5_000
    for start in range(0, len(values), size):
        part = values[start : start + size]
        if is_postgres(conn):
            wanted = select(func.unnest(literal(part, ARRAY(Text))).label("value")).subquery()
            yield wanted, column == wanted.c.value
        else:
            yield None, column.in_(part)


def _rejected(filing: Filing, errors: Sequence[RowError]) -> list[RowResult]:
    """Every row of a rejected household, each with its own errors (possibly none)."""
    by_row: dict[int, list[RowError]] = {}
    for error in errors:
        by_row.setdefault(error.row, []).append(error)
    return [
        RowResult(row, filing.file_number, REJECTED, None, tuple(by_row.get(row, ())))
        for row in filing.rows
    ]


def _skipped(filing: Filing, household_id: str) -> list[RowResult]:
    return [RowResult(row, filing.file_number, ALREADY_FILED, household_id) for row in filing.rows]


# --- running an import ------------------------------------------------------------------

DEFAULT_BATCH: Final = 500


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

    def errors_csv(self) -> str:
        """The error report: row, file number, column (as the file names it), and the
        message in Chinese with the English beside it; headers in both."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ERRORS_HEADER)
        for e in self.errors:
            column = self.headers.get(e.column, e.column)
            message = masked_identities(e.message)
            writer.writerow([e.row, e.file_number, column, import_messages.zh(message), message])
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


def errors_path(path: Path) -> Path:
    """Where the CLI writes the error report by default: beside the file."""
    return path.with_name(f"{path.stem}.errors.csv")


def write_errors(report: Report, path: Path) -> None:
    # With a BOM, so that Excel shows the Chinese text of the report right.
    path.write_text(report.errors_csv(), encoding="utf-8-sig")


def sha256_of(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


async def import_file(
    engine: AsyncEngine,
    store: EventStore,
    keys: IdentityKeys,
    path: Path,
    *,
    filename: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[Progress], None] | None = None,
    import_id: str | None = None,
    actor: str | None = None,
    vault: PeopleKey | None = None,
) -> Report:
    """Import a file: read, check and file it batch by batch, each batch committed on its
    own. Run again after an interruption, it skips what was filed and goes on.

    Every event carries the import id as its correlation id. Raises :class:`UnreadableFile`
    when the file cannot be read as an export (batches already committed stay filed).
    ``vault`` seals the clear ID numbers; by default the key the environment configures
    (``TUOPIN_REGISTRY_PEOPLE_KEY``), as for the service itself.
    """
    if batch_size < 1:
        raise ValueError("a batch holds at least one household")
    import_id = import_id or str(uuid4())
    started = datetime.now(UTC)
    digest = sha256_of(path)
    totals, errors = Totals(), []
    next_analyze = ANALYZE_FIRST
    with open_sheet(path) as sheet, context.caused_by(import_id, None, actor):
        for batch in _batches(read_filings(sheet), batch_size):
            results = await _commit(engine, store, keys, batch, vault or configured_vault())
            totals.add(results)
            if totals.filed >= next_analyze and is_postgres(engine):
                await _analyze(engine)
                next_analyze *= 2
            errors += _real_errors_first(results)
            if progress is not None:
                progress(Progress(totals.rows, sheet.expected_rows, totals))
    return Report(
        import_id=import_id,
        filename=filename or path.name,
        sha256=digest,
        started_at=started,
        finished_at=datetime.now(UTC),
        totals=totals,
        errors=errors,
        headers=sheet.headers,
    )


# PostgreSQL plans a batch's lookups (file numbers, identities, stream versions) by its
# statistics of the tables; while an import multiplies their size, they are refreshed
# whenever the households filed double from this many (autovacuum may lag or be off).
ANALYZE_FIRST: Final = 2_000
ANALYZED: Final = ("events", "households", "household_members", "people")


async def _analyze(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(sql(f"ANALYZE {', '.join(ANALYZED)}"))


async def _commit(
    engine: AsyncEngine,
    store: EventStore,
    keys: IdentityKeys,
    batch: list[Filing],
    vault: PeopleKey,
) -> list[RowResult]:
    """One batch in one transaction; once more if a concurrent writer got in the way (the
    second run sees what it filed)."""
    for attempt in (1, 2):
        try:
            async with engine.begin() as conn:
                results = await file_batch(conn, store, keys, batch, vault)
            store.notify()
            return results
        except (IntegrityError, ConcurrencyConflict):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _batches(filings: Iterator[Filing], size: int) -> Iterator[list[Filing]]:
    batch: list[Filing] = []
    for filing in filings:
        batch.append(filing)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def configured_vault() -> PeopleKey:
    from tuopin_registry.config import RegistrySettings  # the environment's, when not given

    return RegistrySettings().people()


def _real_errors_first(results: Sequence[RowResult]) -> list[RowError]:
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
