"""Roll-ups kept in memory while the read model they are counted from stands still.

A roll-up is a function of the read model's tables, the question (region, level, day,
instant known at, rule set) and today (the day counted on when none is asked, and the
rule set in force). The tables change only when a consumer applies a batch — its stored
offset moves in the same transaction — or when evaluation appends to its own store (the
return warnings are projected inline, in the appending transaction). So every consumer's
stored offsets in this database and the store's last position, read before the figures are
counted, name the state they are counted on: an answer is kept under that state, the
question and today, and is never given once either has moved on. A historical question
(as of a day, as known at an instant) is answered the same way — the figures counted
again from the facts whenever the state moves, never patched.

The first of concurrent identical questions counts; the others wait for its answer, so
twenty clients arriving together make one count, not twenty. What is kept is bounded by
its rows (least recently used first out).
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

from cachetools import LRUCache
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.dates import today
from tuopin_eventkit.store.schema import consumer_offsets, events

ROWS = 20_000  # roll-up rows kept (~2.5 KB each, ~50 MiB): a province's villages three times


class Counted(Protocol):
    @property
    def rows(self) -> list[Any]: ...


C = TypeVar("C", bound=Counted)


async def state(conn: AsyncConnection) -> tuple[Any, ...]:
    """Where the read model stands: every consumer's offsets (in their log) and the last
    position of evaluation's own store."""
    o = consumer_offsets.c
    offsets = await conn.execute(
        select(o.consumer, o.topic, o.partition, o.next_offset, o.generation, o.anchor).order_by(
            o.consumer, o.topic, o.partition
        )
    )
    last = await conn.scalar(select(func.max(events.c.position)))
    return tuple(tuple(row) for row in offsets), last


def _size(answer: Counted) -> int:
    return len(answer.rows) + 1


class Answers:
    """The answers counted on one database."""

    def __init__(self, engine: AsyncEngine, rows: int = ROWS) -> None:
        self.engine = engine
        self.kept: LRUCache[Hashable, Any] = LRUCache(maxsize=rows, getsizeof=_size)
        self.counting: dict[Hashable, asyncio.Task[Any]] = {}

    async def get(self, question: Hashable, count: Callable[[AsyncConnection], Awaitable[C]]) -> C:
        """The answer to ``question`` on the state the read model is in now: kept, being
        counted by another request, or counted by ``count`` on a connection of its own."""
        async with self.engine.connect() as conn:
            key = (await state(conn), today(), question)
        kept: C | None = self.kept.get(key)
        if kept is not None:
            return kept
        task = self.counting.get(key)
        if task is None:
            task = self.counting[key] = asyncio.create_task(self._count(key, count))
        # A request that goes away does not cancel the count the others wait for.
        return await asyncio.shield(task)

    async def _count(self, key: Hashable, count: Callable[[AsyncConnection], Awaitable[C]]) -> C:
        try:
            async with self.engine.connect() as conn:
                answer = await count(conn)
            if _size(answer) <= self.kept.maxsize:
                self.kept[key] = answer
            return answer
        finally:
            del self.counting[key]


_answers: "WeakKeyDictionary[AsyncEngine, Answers]" = WeakKeyDictionary()


def answers(engine: AsyncEngine) -> Answers:
    """The answers kept for ``engine`` (one per running service)."""
    found = _answers.get(engine)
    if found is None:
        found = _answers[engine] = Answers(engine)
    return found
