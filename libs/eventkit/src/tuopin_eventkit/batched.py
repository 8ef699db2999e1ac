"""Statements built once and run with many rows: the write path of every read model and
of the event store's batches. ``executemany`` runs a statement compiled once per dialect
and set of keys, its parameters sent through the compiled form's processors (faster ones
where they give the same values); ``upsert`` is ``INSERT … ON CONFLICT`` on top of it;
``rows_in`` reads the rows matching a list of values with one expanding IN."""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter, methodcaller
from typing import Any

from sqlalchemy import Insert, Row, Select, Table, UpdateBase, func
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[dict[str, Any]] | dict[str, Any],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert rows; on a key conflict update ``update`` columns (or do nothing).

    Rows repeating a key collapse first, as applying them in order would: the last one
    wins when updating, the first when not.

    One statement per (table, keys, update, dialect), built once and run with
    :func:`executemany`: a statement with the rows in its VALUES is a new statement to
    compile for every batch, which cost a rebuild more than everything else together.
    """
    if isinstance(rows, dict):
        rows = [rows]
    ordered = rows if update else rows[::-1]
    rows = list(dict(zip(map(itemgetter(*keys), ordered), ordered, strict=True)).values())
    if not rows:
        return
    if not update:
        rows.reverse()  # back in the order they came
    stmt = upsert_statement(conn.dialect.name, table, tuple(keys), tuple(update or ()))
    await executemany(conn, stmt, rows)


async def executemany(
    conn: AsyncConnection, stmt: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run ``stmt`` (built once, at import or cached) for each row, as one executemany.

    The statement is compiled once per dialect and set of row keys, and the rows go to the
    driver as tuples, through the bind processors of the compiled form (dates as text on
    SQLite, …): what ``conn.execute(stmt, rows)`` does, less its Python work for every
    parameter of every row, which cost a replay as much as the database's own.

    Rows naming different keys go separately, in their order (executemany takes one set).
    """
    if not rows:
        return
    first = rows[0].keys()
    if all(map(first.__eq__, map(_KEYS, rows))):
        runs: Sequence[Sequence[Mapping[str, Any]]] = [rows]
    else:
        by_keys: dict[frozenset[str], list[Mapping[str, Any]]] = {}
        for row in rows:
            by_keys.setdefault(frozenset(row), []).append(row)
        runs = list(by_keys.values())
    for run in runs:
        many = _compiled(conn.dialect, stmt, tuple(sorted(run[0].keys())))
        if many is None:
            await conn.execute(stmt, run)
        else:
            await conn.exec_driver_sql(many.sql, many.parameters(run))


_KEYS = methodcaller("keys")


async def rows_in(
    conn: AsyncConnection,
    stmt: Select[Any],
    params: Mapping[str, Any],
    name: str,
    values: Sequence[Any],
) -> Sequence[Row[Any]]:
    """The rows of a query built once whose last parameter, ``name``, is an expanding one
    (``column.in_(bindparam(name, expanding=True))``), for ``values``.

    The SQL is SQLAlchemy's, its IN list written here: SQLAlchemy renders, names and casts
    each value of the list anew at every execution, a fifth of a replay's Python on
    PostgreSQL (a batch's dedupe asks thousands of ids). Only for values and parameters no
    type processes (text). On PostgreSQL the list goes as one array (``= ANY($n)``): one
    statement whatever its length, prepared once, where a list of thousands of parameters
    was a statement to prepare anew for nearly every batch (with the marks' array,
    ``projection._mark_processed``, a tenth of a replay's CPU). Its generic plan, which
    PostgreSQL may choose after five runs, reads the dedupe's primary key for each id
    (EXPLAIN) once the table has statistics (``statistics.Statistics``); planned as empty,
    it read all the consumer's marks and compared each with every id of the array."""
    form = _expanding(conn.dialect, stmt, name, tuple(sorted(params)))
    if form is None or not values:
        found: Sequence[Row[Any]] = (await conn.execute(stmt, {**params, name: list(values)})).all()
        return found
    (head, tail), names, as_array = form
    given = tuple(params[n] for n in names)
    if as_array:
        sql, parameters = f"{head}= ANY(${len(names) + 1}){tail}", (*given, list(values))
    else:
        sql, parameters = f"{head}IN ({', '.join('?' * len(values))}){tail}", (*given, *values)
    return (await conn.exec_driver_sql(sql, parameters)).all()


@lru_cache(maxsize=256)
def _expanding(
    dialect: Dialect, stmt: Select[Any], name: str, keys: tuple[str, ...]
) -> tuple[tuple[str, str], tuple[str, ...], bool] | None:
    """The SQL of ``stmt`` before and after its ``IN`` and list, the names of the parameters
    before it, and whether the list goes as an array ($n parameters: asyncpg) rather than
    as ``?`` each (aiosqlite); None when ``rows_in`` cannot write it so."""
    if dialect.paramstyle not in ("qmark", "numeric_dollar"):
        return None
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup or []
    token = f"IN (__[POSTCOMPILE_{name}])"  # where SQLAlchemy writes the list at execution
    if (
        not names
        or names[-1] != name
        or name in names[:-1]
        or compiled.string.count(token) != 1
        or set(names[:-1]) != set(keys)
        or any(compiled.binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
    ):
        return None
    head, tail = compiled.string.split(token)
    if head.endswith("NOT "):  # ``NOT IN``: not an ``= ANY`` on PostgreSQL
        return None
    return (head, tail), tuple(names[:-1]), dialect.paramstyle == "numeric_dollar"


@dataclass(frozen=True)
class _Many:
    """A statement compiled for executemany: its SQL and how a row becomes its parameters."""

    sql: str
    values: Callable[[Mapping[str, Any]], Any]  # the row's values in the statement's order
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]  # by position

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        """The rows' parameters, a column at a time: each processor mapped over its column
        rather than called from a loop over each row's values (half the Python work)."""
        values = list(map(self.values, rows))
        if not self.processors:
            return values
        columns: list[Iterable[Any]] = list(zip(*values, strict=True))
        for i, process in self.processors:
            columns[i] = map(process, columns[i])
        return list(zip(*columns, strict=True))


@lru_cache(maxsize=1024)
def _compiled(dialect: Dialect, stmt: UpdateBase, keys: tuple[str, ...]) -> _Many | None:
    """None for what only SQLAlchemy's own execute can run: named parameters (a driver
    other than aiosqlite's or asyncpg's), parameters expanded or computed at execution,
    escaped parameter names."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup
    if (
        not names
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.escaped_bind_names
        or any(compiled.binds[name].callable for name in names)
    ):
        return None
    # A parameter no row names is one the statement fixes (``.values(active=False)``).
    fixed = {}
    for name in names:
        if name not in keys:
            bind = compiled.binds[name]
            if bind.required:
                raise ArgumentError(f"a value is required for bind parameter {name!r}")
            fixed[name] = bind.value
    pick = itemgetter(*names)
    values = (lambda row: pick({**fixed, **row})) if fixed else pick
    if len(names) == 1:
        one = values
        values = lambda row: (one(row),)  # noqa: E731
    processors = tuple(
        (i, _faster(process))
        for i, name in enumerate(names)
        if (process := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
    )
    return _Many(compiled.string, values, processors)


# Instants, days and yes/no answers as the driver takes them, written faster than
# SQLAlchemy's processors on SQLite write them (``%`` with a dict of the value's fields,
# for each of the millions a replay sends): used only when they give the very same value
# as the processor for a probe (the storage format SQLite's types default to).
_PROBES: tuple[tuple[type, Any, Callable[[Any], Any]], ...] = (
    (
        datetime,
        datetime(2016, 3, 4, 5, 6, 7, 8900, tzinfo=UTC),
        lambda value: value.isoformat(" ", "microseconds")[:26],  # without the offset
    ),
    (date, date(2016, 3, 4), date.isoformat),
)


def _faster(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process``, or one giving the same values faster for the usual ones."""
    for kind, probe, fast in _PROBES:
        if _gives(process, probe) == fast(probe):
            return _as_text(process, kind, fast)
    yes, no = _gives(process, True), _gives(process, False)
    if (yes, no) == (1, 0) and {type(yes), type(no)} <= {int, bool}:  # 1/0 on SQLite

        def as_flag(value: Any) -> Any:
            return yes if value is True else no if value is False else process(value)

        return as_flag
    return process


_UNSEEN = object()


def _as_text(
    process: Callable[[Any], Any], kind: type, fast: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """``fast`` for values of ``kind``, else ``process``; the text of the value before is
    kept, for the very same object: a batch's rows repeat one instant over and over (the
    time its events were marked processed, a filing's for each of its members). By
    identity, never equality: two equal instants in different offsets are different
    text. One tuple, replaced at once, so that a thread switch never pairs a value with
    another's text."""
    last: tuple[Any, Any] = (_UNSEEN, None)

    def as_text(value: Any) -> Any:
        nonlocal last
        seen, text = last
        if value is seen:
            return text
        text = fast(value) if type(value) is kind else process(value)
        last = (value, text)
        return text

    return as_text


def _gives(process: Callable[[Any], Any], value: Any) -> Any:
    """What ``process`` makes of a probe; None when it refuses it, however it refuses
    (an enum's raises LookupError)."""
    try:
        return process(value)
    except Exception:
        return None


@lru_cache(maxsize=1024)
def upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]
) -> Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET update`` (or ``DO NOTHING``), without
    values: its rows come as executemany parameters, so its compiled form is cached."""
    stmt = insert_for(dialect)(table)
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def insert_for(dialect: str) -> Callable[[Table], pg.Insert | sqlite.Insert]:
    """The dialect's INSERT, the one that knows ``ON CONFLICT``."""
    return pg.insert if dialect == "postgresql" else sqlite.insert


def greatest(dialect: str, a: Any, b: Any) -> Any:
    """SQL GREATEST on PostgreSQL, the two-argument scalar MAX on SQLite."""
    return func.greatest(a, b) if dialect == "postgresql" else func.max(a, b)
