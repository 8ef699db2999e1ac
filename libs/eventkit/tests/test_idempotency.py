"""Idempotency keys under concurrency: twins with one key run the command once, and every
one of them gets the first answer — on SQLite as on PostgreSQL. Twins without a key that
race past a uniqueness check are run again, to be refused by it."""

import asyncio
import random

import pytest
from sqlalchemy import Column, MetaData, String, Table, insert, select
from sqlalchemy.exc import IntegrityError

from tuopin_eventkit.store import idempotency
from tuopin_eventkit.store.aggregate import Conflict
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore, NewEvent

pytestmark = pytest.mark.faults

ROUNDS, TWINS = 10, 10


def registering(store: EventStore, stream: str, runs: list[int]) -> idempotency.Command:
    """A command that decides on what is committed, as a real one does: a twin that ran it
    after the first one's commit would be refused (a stale version, 409)."""

    async def command(conn) -> Outcome:
        version = len(await store.load(conn, stream))
        runs.append(version)
        await asyncio.sleep(0.01)  # widen the window a concurrent twin could slip into
        event = NewEvent("test.registered.v1", {"stream": stream})
        [recorded] = await store.append(conn, "household", stream, version, [event])
        return Outcome({"stream": stream, "position": recorded.position}, created=True)

    return command


async def twin(engine, store, command: idempotency.Command, key: str, request: dict) -> Outcome:
    await asyncio.sleep(0.03 * random.random())  # each round, another interleaving
    return await idempotency.execute(engine, store, command, "test", key, request)


async def test_twins_with_one_key_run_the_command_once_and_share_its_answer(engine, store) -> None:
    for round_ in range(ROUNDS):
        stream, runs = f"household-{round_}", []
        command = registering(store, stream, runs)
        outcomes = await asyncio.gather(
            *(
                twin(engine, store, command, f"key-{round_}", {"stream": stream})
                for _ in range(TWINS)
            )
        )
        assert runs == [0]
        [first] = [o for o in outcomes if not o.replayed]
        assert all((o.status_code, o.body) == (first.status_code, first.body) for o in outcomes)
        async with engine.connect() as conn:
            assert len(await store.load(conn, stream)) == 1


names = Table("test_names", MetaData(), Column("name", String(20), primary_key=True))


def claiming(name: str | None, runs: list[str | None], meet: int = 1) -> idempotency.Command:
    """A command checking uniqueness without the append lock, with a unique index behind
    it, as registering a household does. On PostgreSQL the first ``meet`` runs past the
    check insert only once all of them are past it: twins that surely race."""

    passed: list[str | None] = []
    met = asyncio.Event()

    async def command(conn) -> Outcome:
        runs.append(name)
        if await conn.scalar(select(names.c.name).where(names.c.name == name)) is not None:
            raise Conflict(f"{name} is taken")
        passed.append(name)
        if len(passed) >= meet:
            met.set()
        if conn.dialect.name == "postgresql":  # SQLite runs writers one after the other
            await asyncio.wait_for(met.wait(), 10)
        await conn.execute(insert(names).values(name=name))
        return Outcome({"name": name}, created=True)

    return command


async def test_a_twin_that_meets_the_unique_index_is_run_again_and_refused_by_its_check(
    engine, store
) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(names.metadata.create_all)
    runs: list[str | None] = []
    command = claiming("mine", runs, meet=2)
    outcomes = await asyncio.gather(
        *(idempotency.execute(engine, store, command, "test", None, {}) for _ in range(TWINS)),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict"] * (TWINS - 1) + ["Outcome"]
    assert all("mine is taken" in str(o) for o in outcomes if isinstance(o, Conflict))
    # PostgreSQL ran twins at once (as many as its pool holds): those that met the index
    # were run once more. SQLite ran them one after the other.
    if engine.dialect.name == "postgresql":
        assert TWINS < len(runs) <= 2 * TWINS - 1
    else:
        assert len(runs) == TWINS


async def test_a_command_meeting_another_constraint_is_not_run_again(engine, store) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(names.metadata.create_all)
    runs: list[str | None] = []
    with pytest.raises(IntegrityError):
        await idempotency.execute(engine, store, claiming(None, runs), "test", None, {})
    assert runs == [None]
