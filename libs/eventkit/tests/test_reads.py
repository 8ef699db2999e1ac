"""How reads use the database: no transaction round trips on PostgreSQL, a cursor where one
is asked for, a pool that keeps the connections twenty callers use at once, no time spent
compiling a query to machine code, and a region's rows found through the code's index."""

import asyncio

import pytest
from sqlalchemy import Column, Index, MetaData, String, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.db import create_engine, is_postgres, prefixed, read_only


async def test_a_read_on_postgresql_opens_no_transaction(engine: AsyncEngine) -> None:
    """Each statement is its own transaction: no BEGIN before it, no ROLLBACK after."""
    if not is_postgres(engine):
        pytest.skip("SQLite reads are deferred transactions, which take no write lock")
    transaction = text("SELECT pg_current_xact_id()::text")
    async with read_only(engine).connect() as conn:
        first, second = [(await conn.execute(transaction)).scalar_one() for _ in range(2)]
        assert first != second
    async with read_only(engine, cursor=True).connect() as conn:  # a cursor's transaction
        first, second = [(await conn.execute(transaction)).scalar_one() for _ in range(2)]
        assert first == second


async def test_a_cursor_streams_rows(engine: AsyncEngine) -> None:
    query = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)")
    async with read_only(engine, cursor=True).connect() as conn:
        streamed = await conn.stream(text(f"{query.text} SELECT i FROM n"))
        sizes = [len(rows) async for rows in streamed.partitions(1000)]
    assert sizes == [1000, 1000, 500]


async def test_twenty_readers_at_once_keep_their_connections(database_url: str) -> None:
    """Twenty concurrent reads (a county office's dashboard) leave twenty pooled
    connections open for the next twenty, rather than opening and closing ten of them."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite connections are files, not server sessions")
    engine = create_engine(database_url)
    try:

        async def read() -> None:
            async with read_only(engine).connect() as conn:
                await conn.execute(text("SELECT pg_sleep(0.2)"))

        await asyncio.gather(*(read() for _ in range(20)))
        assert engine.pool.checkedin() == 20  # type: ignore[attr-defined]  # QueuePool's
    finally:
        await engine.dispose()


async def test_postgresql_does_not_compile_a_costly_query_before_running_it(
    database_url: str,
) -> None:
    """A query PostgreSQL estimates as costly (a roll-up over a city's households) is run,
    not first compiled by its JIT, which took a quarter of such a roll-up's time."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no JIT")
    engine = create_engine(database_url)
    try:
        costly = text(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM generate_series(1, 200000) a"
            " JOIN generate_series(1, 200000) b ON a = b"
        )
        async with read_only(engine).connect() as conn:
            (plan,) = (await conn.execute(costly)).scalar_one()
            assert plan["Plan"]["Total Cost"] > 500_000  # past every JIT threshold
            assert "JIT" not in plan
    finally:
        await engine.dispose()


async def test_a_region_is_read_through_the_code_index_and_holds_its_rows_exactly(
    engine: AsyncEngine,
) -> None:
    """A county's households are found through the village code's index, not by reading
    the province's (a ``LIKE 'prefix%'`` reads no B-tree under PostgreSQL's ``C.UTF-8`` or
    SQLite's case-insensitive LIKE), and a prefix selects exactly the codes that begin
    with it, whatever the digits around it."""
    metadata = MetaData()
    places = Table("places", metadata, Column("code", String(12)), Index("ix_code", "code"))
    codes = [
        "62", "619999999999", "620000000000", "621121", "621121000000", "621121100201",
        "6211211", "621121999999", "621122000000", "621129999999", "621130000000",
        "629999999999", "99", "999", "630000000000",
    ]  # fmt: skip
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(places), [{"code": c} for c in codes])
    try:
        async with engine.connect() as conn:
            for prefix in ("", "62", "621121", "621129", "6211219", "629999999999", "99", "9"):
                query = select(places.c.code).where(prefixed(places.c.code, prefix))
                found = sorted((await conn.scalars(query)).all())
                assert found == sorted(c for c in codes if c.startswith(prefix)), prefix
            county = select(places.c.code).where(prefixed(places.c.code, "621121"))
            sql = county.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
            if is_postgres(conn):  # too few rows to prefer the index: told not to scan
                await conn.execute(text("SET enable_seqscan = off"))
                plan = "\n".join((await conn.scalars(text(f"EXPLAIN {sql}"))).all())
                assert "Index Cond" in plan and "Filter" not in plan, plan  # not the whole index
            else:
                rows = await conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
                plan = "\n".join(str(r[-1]) for r in rows)
                assert "USING COVERING INDEX ix_code" in plan, plan
        with pytest.raises(ValueError, match="not a code prefix"):
            prefixed(places.c.code, "62%")
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
