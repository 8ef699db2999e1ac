"""A projection's batch applied: only the events it has not applied before, however many
the batch holds and however often it repeats one."""

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.examples import household_registered
from tuopin_eventkit.batched import _expanding
from tuopin_eventkit.store.checkpoint import StoredOffset, save_offset, stored_offsets
from tuopin_eventkit.store.projection import _SEEN, Parsed, Projection, apply, parse
from tuopin_eventkit.store.schema import processed_events

from .conftest import counting_projection, households_per_county


def parsed(projection: Projection, envelopes: list[Envelope]) -> list[Parsed]:
    """The envelopes as the consumer takes them in, from one partition."""
    out = []
    for offset, envelope in enumerate(envelopes):
        value = envelope.to_json()
        record = ConsumerRecord(
            Topic.REGISTRY.value, 0, offset, 0, 0, None, value, None, 0, len(value), ()
        )
        event = parse(projection, record)
        assert event is not None
        out.append(event)
    return out


async def test_a_batch_longer_than_a_lookup_applies_only_its_new_events(
    engine: AsyncEngine,
) -> None:
    projection = counting_projection()
    envelopes = [household_registered() for _ in range(1201)]

    def some(indices: range) -> list[Parsed]:
        return parsed(projection, [envelopes[i] for i in indices])

    async with engine.begin() as conn:
        assert await apply(conn, projection, some(range(0, 1201, 2))) == 601
    async with engine.begin() as conn:  # every other one again, and the rest twice
        again = some(range(1201)) + some(range(1, 1201, 2))
        assert await apply(conn, projection, again) == 600
    async with engine.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(households_per_county))
    assert count == 1201


@pytest.mark.parametrize("dialect", [sqlite_dialect(), asyncpg_dialect()], ids=lambda d: d.name)
def test_the_dedupe_lookup_writes_its_own_in_list(dialect: Dialect) -> None:
    """On both drivers the lookup's IN list is written by ``rows_in``, not SQLAlchemy."""
    assert _expanding(dialect, _SEEN, "ids", ("consumer", "source")) is not None
    # A NOT IN is left to SQLAlchemy: it is no ``= ANY`` on PostgreSQL.
    not_seen = select(processed_events.c.event_id).where(
        processed_events.c.event_id.not_in(bindparam("ids", expanding=True))
    )
    assert _expanding(dialect, not_seen, "ids", ()) is None


async def test_a_batch_of_any_length_is_looked_up_and_marked_by_one_statement_each(
    engine: AsyncEngine,
) -> None:
    """The dedupe's lookup and its marks are one statement each, the same text for 3 events
    as for 700, so that PostgreSQL prepares them once (a replay's batches vary in length);
    a batch's ids go as one array. SQLite writes its list of ``?`` instead."""
    projection = counting_projection()
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_) -> None:  # type: ignore[no-untyped-def]  # SQLAlchemy hands a driver cursor
        if "processed_events" in statement:
            sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for n in (3, 700, 700):
            envelopes = [household_registered() for _ in range(n)]
            async with engine.begin() as conn:
                assert await apply(conn, projection, parsed(projection, envelopes)) == n
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    async with engine.connect() as conn:
        marked = select(func.count()).select_from(processed_events)
        assert await conn.scalar(marked) == 1403
    assert len(sent) == 6  # a lookup and a mark for each batch
    if engine.dialect.name == "postgresql":
        assert len(set(sent)) == 2
        assert all("= ANY(" in s or "unnest(" in s for s in sent)
    else:
        assert len(set(sent)) == 3  # the lookups of 3 and of 700, the mark


async def test_a_stored_offset_moves_on_only_and_its_position_only_grows(
    engine: AsyncEngine,
) -> None:
    """A late owner of a partition (rebalanced away mid-batch) does not take its offset
    back; another log's offset replaces it; the highest position applied is kept across
    both. One statement does all of it, on both databases."""
    projection = counting_projection()

    async def save(offset: StoredOffset) -> StoredOffset:
        async with engine.begin() as conn:
            await save_offset(conn, projection, "registry", 0, offset)
        return (await stored_offsets(engine, projection))[("registry", 0)]

    assert await save(StoredOffset(10, "A", "a10", 5)) == StoredOffset(10, "A", "a10", 5)
    assert await save(StoredOffset(7, "A", "a7", None)) == StoredOffset(10, "A", "a10", 5)
    assert await save(StoredOffset(12, "A", "a12", 3)) == StoredOffset(12, "A", "a12", 5)
    assert await save(StoredOffset(2, "B", "b2", None)) == StoredOffset(2, "B", "b2", 5)
    assert await save(StoredOffset(4, "B", "b4", 9)) == StoredOffset(4, "B", "b4", 9)
    assert await save(StoredOffset(4, None, None, None)) == StoredOffset(4, None, None, 9)
