"""Group commit and the append's round trips, on SQLite and PostgreSQL.

Statements are counted, never timed: an append on PostgreSQL is one statement, and
concurrent appends through ``GroupCommit`` share one.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import context
from tuopin_eventkit.store.groupcommit import GroupCommit
from tuopin_eventkit.store.store import ConcurrencyConflict, NewEvent
from tuopin_eventkit.testing import DATABASES


def new(n: int) -> NewEvent:
    return NewEvent(type="test.thing.happened.v1", data={"n": n})


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs (BEGIN/COMMIT excluded)."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]  # SQLAlchemy hook
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            sent.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_an_append_on_postgres_is_one_statement(engine, store) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 0, [new(1)])
    with statements(engine) as sent:
        async with engine.begin() as conn:
            await store.append(conn, "thing", "a", 1, [new(2), new(3)])
            await store.append(conn, "thing", "b", 0, [new(4)])
    # PostgreSQL: check, lock, number and insert in one; SQLite (in process): three.
    assert len(sent) == (2 if engine.dialect.name == "postgresql" else 6)
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
    assert [(e.position, e.stream_id, e.version) for e in feed] == [
        (1, "a", 1),
        (2, "a", 2),
        (3, "a", 3),
        (4, "b", 1),
    ]


async def test_concurrent_appends_share_one_statement(engine, store) -> None:
    group = GroupCommit(engine, store)
    with statements(engine) as sent:
        recorded = await asyncio.gather(
            *(group.append("thing", f"s{n}", 0, [new(n), new(n + 100)]) for n in range(8))
        )
    inserts = [s for s in sent if "INSERT INTO events" in s]
    assert len(inserts) == 1
    positions = sorted(e.position for events in recorded for e in events)
    assert positions == list(range(1, 17))  # gap-free
    assert [e.version for e in recorded[3]] == [1, 2]
    async with engine.connect() as conn:  # committed when the caller hears back
        assert [e.data["n"] for e in await store.load(conn, "s3")] == [3, 103]


async def test_a_conflict_fails_only_its_own_caller(engine, store) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "thing", "taken", 0, [new(0)])
    group = GroupCommit(engine, store)
    outcomes = await asyncio.gather(
        group.append("thing", "x", 0, [new(1)]),
        group.append("thing", "taken", 0, [new(2)]),  # stale: the stream is at 1
        group.append("thing", "y", 0, [new(3)]),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], ConcurrencyConflict)
    assert (outcomes[1].expected, outcomes[1].actual) == (0, 1)
    assert [e.stream_id for e in outcomes[0]] == ["x"]
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
    assert [(e.position, e.stream_id) for e in feed] == [(1, "taken"), (2, "x"), (3, "y")]


async def test_one_stream_twice_is_appended_in_order(engine, store) -> None:
    group = GroupCommit(engine, store)
    first, second = await asyncio.gather(
        group.append("thing", "a", 0, [new(1)]), group.append("thing", "a", 1, [new(2)])
    )
    assert [(e.version, e.position) for e in first + second] == [(1, 1), (2, 2)]


async def test_each_caller_keeps_its_provenance(engine, store) -> None:
    group = GroupCommit(engine, store)

    async def as_(who: str) -> None:
        with context.caused_by(f"corr-{who}", None, who):
            await group.append("thing", who, 0, [new(1)])

    await asyncio.gather(as_("alice"), as_("bob"))
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
    assert {(e.stream_id, e.actor, e.correlation_id) for e in feed} == {
        ("alice", "alice", "corr-alice"),
        ("bob", "bob", "corr-bob"),
    }


@pytest.mark.skipif("postgres" not in DATABASES, reason="PostgreSQL only: no server given")
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_writer_outside_the_group_fails_only_its_rival(engine, store) -> None:
    """Another process holds the lock and appends to "a" while a batch waits for it: the
    batch's statement meets the unique index as a whole; retried one by one, only the
    append to "a" fails."""
    group = GroupCommit(engine, store)
    async with engine.connect() as rival:
        await rival.begin()
        await store.lock_appends(rival)
        waiting = asyncio.gather(
            group.append("thing", "a", 0, [new(1)]),
            group.append("thing", "b", 0, [new(2)]),
            return_exceptions=True,
        )
        await asyncio.sleep(0.3)  # the batch's statement is now waiting for the lock
        await store.append(rival, "thing", "a", 0, [new(0)])
        await rival.commit()
        a, b = await waiting
    assert isinstance(a, ConcurrencyConflict)
    assert [e.stream_id for e in b] == ["b"]
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
    assert [(e.position, e.stream_id, e.data["n"]) for e in feed] == [(1, "a", 0), (2, "b", 2)]
