"""Database engines for SQLite (embedded) and PostgreSQL (deployed) from one URL.

SQLite runs in WAL mode and every writing transaction as ``BEGIN IMMEDIATE``: the write
lock is taken up front, so read-then-write transactions never deadlock on lock upgrade.
Reads go through :func:`read_only`, a plain deferred ``BEGIN`` that never waits for writers.

On PostgreSQL reads run outside any transaction, and the pool keeps its connections.

SQLite also runs with ``secure_delete``: what a transaction deletes or overwrites is
zeroed in the file, not left in free space — an erased person's destroyed data key must
not be readable from the file. :func:`shred` empties the write-ahead log after such a
transaction, which still holds the page as it was before.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Insert,
    Row,
    Select,
    Table,
    UpdateBase,
    event,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

READ_ONLY = "tuopin_read_only"


def create_engine(url: str, pool_size: int = 20, max_overflow: int = 10) -> AsyncEngine:
    """``pool_size`` connections are kept open (PostgreSQL): a request beyond them opens a
    connection of its own and closes it after, which costs more than a short read."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 60})
        _sqlite_immediate_transactions(engine)
        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    _replace_closed_connections(engine)
    return engine


def _replace_closed_connections(engine: AsyncEngine) -> None:
    """At checkout, a pooled connection the server closed (a restart) is replaced, without
    asking the server: asyncpg already knows it is closed. Not ``pool_pre_ping``, whose
    asyncpg ping is three round trips (BEGIN, ``;``, ROLLBACK) before every transaction —
    half an append's. A connection lost silently fails its first statement instead, which
    discards it (an outage: 503, the client retries)."""

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if dbapi_connection._connection.is_closed():
            raise DisconnectionError("the server closed this connection")


def _sqlite_immediate_transactions(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # deleted content zeroed, never left behind
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(engine: AsyncEngine, cursor: bool = False) -> AsyncEngine:
    """The same pool, for connections that only read.

    On SQLite each is a deferred transaction, which takes no write lock. On PostgreSQL it
    is no transaction at all. At READ COMMITTED every statement sees a snapshot of its own
    whether or not a transaction surrounds it, so a BEGIN and a ROLLBACK would only add
    two round trips to a one-statement read. The exception is a server-side cursor
    (``conn.stream``), which lives in a transaction: ask for one with ``cursor=True``.
    """
    if engine.dialect.name == "postgresql" and not cursor:
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.execution_options(**{READ_ONLY: True})


async def shred(engine: AsyncEngine) -> bool:
    """After a transaction that destroyed something for good (an erasure): on SQLite, copy
    the write-ahead log into the database and truncate it, so no older copy of the pages
    stays in the ``-wal`` file. False when readers kept part of it (retry later); always
    True on PostgreSQL, whose WAL and dead row versions SECURITY.md deals with."""
    if engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as conn:
        # On the driver's connection itself: a checkpoint wants no transaction open, and
        # every transaction here begins with BEGIN IMMEDIATE.
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # a checked-out connection always has one
        async with driver.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _, _ = await cursor.fetchone()
    return not busy


def is_postgres(conn: AsyncConnection | AsyncEngine) -> bool:
    return conn.dialect.name == "postgresql"


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
    type processes (text); the statement's text still changes with the number of values,
    as SQLAlchemy's does — PostgreSQL plans a statement it sees again and again
    generically, which for this lookup can scan every event the consumer has applied."""
    form = _expanding(conn.dialect, stmt, name, tuple(sorted(params)))
    if form is None or not values:
        found: Sequence[Row[Any]] = (await conn.execute(stmt, {**params, name: list(values)})).all()
        return found
    (head, tail), names, numbered = form
    first = len(names) + 1
    marks = (
        ", ".join(f"${i}" for i in range(first, first + len(values)))
        if numbered
        else ", ".join("?" * len(values))
    )
    parameters = (*(params[n] for n in names), *values)
    return (await conn.exec_driver_sql(f"{head}{marks}{tail}", parameters)).all()


@lru_cache(maxsize=256)
def _expanding(
    dialect: Dialect, stmt: Select[Any], name: str, keys: tuple[str, ...]
) -> tuple[tuple[str, str], tuple[str, ...], bool] | None:
    """The SQL of ``stmt`` before and after its IN list, the names of the parameters before
    it, and whether they are numbered ($n) rather than ``?``; None when ``rows_in`` cannot
    write it so."""
    if dialect.paramstyle not in ("qmark", "numeric_dollar"):
        return None
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = compiled.positiontup or []
    token = f"__[POSTCOMPILE_{name}]"  # where SQLAlchemy writes the list at execution
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
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


async def by_key(conn: AsyncConnection, table: Table, **key: object) -> dict[str, Any] | None:
    """The row of ``table`` with this key (its columns' values), as a dict; None: none."""
    found = (await conn.execute(table.select().filter_by(**key))).first()
    return None if found is None else dict(found._mapping)


def greatest(conn: AsyncConnection, a: Any, b: Any) -> Any:
    """SQL GREATEST on PostgreSQL, the two-argument scalar MAX on SQLite."""
    return func.greatest(a, b) if is_postgres(conn) else func.max(a, b)


async def ping(engine: AsyncEngine) -> None:
    async with read_only(engine).connect() as conn:
        await conn.execute(text("SELECT 1"))


def recorded_by(column: Any, known_at: datetime | None) -> ColumnElement[bool]:
    """A read model's row recorded by the instant ``known_at`` (always, when None): the
    audit view. Instants are kept in UTC, and SQLite compares them as written, so
    ``known_at`` is put in UTC first."""
    return true() if known_at is None else column <= known_at.astimezone(UTC)
