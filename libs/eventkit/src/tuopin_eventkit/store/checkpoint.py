"""Where each projection stands: the checkpoint it resumes from in each partition, and
forgetting it all to replay from zero.

The database, not Kafka, keeps these (``projection.py``): a batch's checkpoint is written
in the transaction that applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Insert, bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_eventkit.batched import executemany, greatest, insert_for
from tuopin_eventkit.db import read_only
from tuopin_eventkit.store.projection import Projection
from tuopin_eventkit.store.schema import consumer_offsets, processed_events


@dataclass(frozen=True)
class StoredOffset:
    """Where a consumer resumes a partition, and in which log (see ``generation.py``)."""

    next_offset: int
    generation: str | None  # the cluster's id
    anchor: str | None  # fingerprint of the record at next_offset - 1
    position: int | None  # highest producer store position applied from the partition


async def save_offset(
    conn: AsyncConnection,
    projection: Projection,
    topic: str,
    partition: int,
    offset: StoredOffset,
) -> None:
    """Record the next offset to read. In one log it never moves backwards (a late, stale
    owner loses); the highest position applied only ever grows. One statement: it runs
    with every batch a consumer applies."""
    row = {"consumer": projection.name, "topic": topic, "partition": partition, **vars(offset)}
    await executemany(conn, _offset_statement(conn.dialect.name), [row])


@lru_cache(maxsize=2)
def _offset_statement(dialect: str) -> Insert:
    """The offset's row inserted, or updated where the new one moves it on (another log,
    or further in this one), its position raised to the higher of the two."""
    stmt = insert_for(dialect)(consumer_offsets)
    stored, new = consumer_offsets.c, stmt.excluded
    moved = or_(
        stored.generation.is_distinct_from(new.generation), stored.next_offset < new.next_offset
    )
    higher = greatest(dialect, func.coalesce(stored.position, 0), new.position)
    return stmt.on_conflict_do_update(
        index_elements=["consumer", "topic", "partition"],
        set_={
            **{
                c: case((moved, new[c]), else_=stored[c])
                for c in ("next_offset", "generation", "anchor")
            },
            "position": case((new.position.is_(None), stored.position), else_=higher),
        },
    )


async def forget_offset(
    engine: AsyncEngine, projection: Projection, topic: str, partition: int, generation: str | None
) -> None:
    """Start a partition over in a new log; the highest position applied stays."""
    async with engine.begin() as conn:
        await conn.execute(
            update(consumer_offsets)
            .where(
                consumer_offsets.c.consumer == projection.name,
                consumer_offsets.c.topic == topic,
                consumer_offsets.c.partition == partition,
            )
            .values(next_offset=0, generation=generation, anchor=None)
        )


# A consumer's offsets, built once: a reaction reads its read model's before each batch.
_OFFSETS = select(consumer_offsets).where(consumer_offsets.c.consumer == bindparam("consumer"))


async def stored_offsets(
    engine: AsyncEngine, projection: Projection | str
) -> dict[tuple[str, int], StoredOffset]:
    name = projection if isinstance(projection, str) else projection.name
    async with read_only(engine).connect() as conn:
        rows = await conn.execute(_OFFSETS, {"consumer": name})
        return {
            (r.topic, r.partition): StoredOffset(r.next_offset, r.generation, r.anchor, r.position)
            for r in rows
        }


async def has_applied(engine: AsyncEngine, projection: Projection) -> bool:
    async with read_only(engine).connect() as conn:
        found = await conn.scalar(
            select(processed_events.c.event_id)
            .where(processed_events.c.consumer == projection.name)
            .limit(1)
        )
    return found is not None


async def reset(engine: AsyncEngine, projection: Projection) -> None:
    """Forget the read model, its dedupe records and its checkpoint, in one transaction."""
    async with engine.begin() as conn:
        for table in projection.tables:
            await conn.execute(delete(table))
        await conn.execute(
            delete(processed_events).where(processed_events.c.consumer == projection.name)
        )
        await conn.execute(
            delete(consumer_offsets).where(consumer_offsets.c.consumer == projection.name)
        )
