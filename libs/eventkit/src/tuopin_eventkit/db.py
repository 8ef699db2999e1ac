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

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    event,
    text,
    true,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
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
    # No JIT compilation: it pays for itself only on queries running for seconds. A
    # region's roll-up "as known at" an instant (100,000 households) spent a quarter of
    # its time compiling; without it, 221 → 184 ms for a county of 14,000 households.
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"server_settings": {"jit": "off"}},
    )
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
        return _with(engine, isolation_level="AUTOCOMMIT")
    return _with(engine, **{READ_ONLY: True})


def one_statement(engine: AsyncEngine) -> AsyncEngine:
    """The same pool, for a write that is one statement: on PostgreSQL no transaction
    around it (a statement is atomic by itself; BEGIN and COMMIT would be two more round
    trips), on SQLite its usual writing transaction."""
    if engine.dialect.name == "postgresql":
        return _with(engine, isolation_level="AUTOCOMMIT")
    return engine


_variants: "WeakKeyDictionary[AsyncEngine, dict[tuple[str, Any], AsyncEngine]]"
_variants = WeakKeyDictionary()


def _with(engine: AsyncEngine, **options: Any) -> AsyncEngine:
    """``engine.execution_options(**options)``, made once per engine (it is a new engine
    object each time; every read asks for one)."""
    [option] = options.items()
    known = _variants.setdefault(engine, {})
    if option not in known:
        known[option] = engine.execution_options(**options)
    return known[option]


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


async def by_key(conn: AsyncConnection, table: Table, **key: object) -> dict[str, Any] | None:
    """The row of ``table`` with this key (its columns' values), as a dict; None: none."""
    found = (await conn.execute(table.select().filter_by(**key))).first()
    return None if found is None else dict(found._mapping)


async def ping(engine: AsyncEngine) -> None:
    async with read_only(engine).connect() as conn:
        await conn.execute(text("SELECT 1"))


def recorded_by(column: Any, known_at: datetime | None) -> ColumnElement[bool]:
    """A read model's row recorded by the instant ``known_at`` (always, when None): the
    audit view. Instants are kept in UTC, and SQLite compares them as written, so
    ``known_at`` is put in UTC first."""
    return true() if known_at is None else column <= known_at.astimezone(UTC)


def prefixed(column: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """The rows whose code (of digits: a region's, a village's) begins with ``prefix``,
    as a range of the column's B-tree index: ``prefix`` ≤ code < the next prefix.

    Not ``LIKE 'prefix%'``, which PostgreSQL reads through an index only under the C
    collation (its ``C.UTF-8`` is not one) and SQLite only with a case-sensitive LIKE:
    a county's households were found by reading the whole province's. Digits sort the
    same in every collation, so the range is the prefix's rows exactly."""
    if not prefix:
        return true()
    if not (prefix.isascii() and prefix.isdigit()):
        raise ValueError(f"{prefix!r} is not a code prefix (digits)")
    if set(prefix) == {"9"}:  # no prefix of the same length comes after it
        return column >= prefix
    return and_(column >= prefix, column < str(int(prefix) + 1).zfill(len(prefix)))
