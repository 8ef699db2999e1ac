"""Roll-up answers kept in memory: counted once while the read model stands still, once for
concurrent identical questions, and again as soon as a consumer's offset or the store moves."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_evaluation.application.answers import Answers
from tuopin_evaluation.entrypoints.app import spec
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store.schema import consumer_offsets
from tuopin_eventkit.store.store import EventStore, NewEvent


@dataclass
class Counted:
    rows: list[Any] = field(default_factory=list)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await migrate.upgrade(engine, spec.migrations)
    yield engine
    await engine.dispose()


async def test_counted_once_per_state_of_the_read_model(engine: AsyncEngine) -> None:
    counts: list[str] = []

    def counting(question: str) -> Any:
        async def count(conn: AsyncConnection) -> Counted:
            counts.append(question)
            await asyncio.sleep(0.05)  # the others arrive while it counts
            return Counted([question])

        return count

    answers = Answers(engine)
    together = await asyncio.gather(*(answers.get("a", counting("a")) for _ in range(5)))
    assert counts == ["a"] and all(answer is together[0] for answer in together)
    assert await answers.get("a", counting("a")) is together[0]
    assert (await answers.get("b", counting("b"))).rows == ["b"]
    assert counts == ["a", "b"]

    # A consumer applies a batch: its offset moves, and the next question counts again.
    async with engine.begin() as conn:
        await conn.execute(
            consumer_offsets.insert().values(
                consumer="evaluation.households",
                topic="tuopin.registry.events",
                partition=0,
                next_offset=1,
                generation="g",
                anchor="x",
            )
        )
    await answers.get("a", counting("a"))
    assert counts == ["a", "b", "a"]
    async with engine.begin() as conn:
        await conn.execute(update(consumer_offsets).values(next_offset=2, anchor="y"))
    await answers.get("a", counting("a"))
    await answers.get("a", counting("a"))
    assert counts == ["a", "b", "a", "a"]

    # Evaluation appends to its own store (the return warnings are projected with it).
    async with engine.begin() as conn:
        await EventStore("/tuopin/evaluation").append(
            conn, "test", "s-1", 0, [NewEvent(type="test.v1", data={})]
        )
    await answers.get("a", counting("a"))
    assert counts == ["a", "b", "a", "a", "a"]


async def test_a_failed_count_is_not_kept(engine: AsyncEngine) -> None:
    answers, tries = Answers(engine), []

    async def count(conn: AsyncConnection) -> Counted:
        tries.append(1)
        if len(tries) == 1:
            raise LookupError("no rule set in force")
        return Counted()

    with pytest.raises(LookupError):
        await answers.get("q", count)
    assert (await answers.get("q", count)).rows == []
    assert len(tries) == 2
