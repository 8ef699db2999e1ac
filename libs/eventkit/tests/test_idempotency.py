"""Idempotency keys under concurrency: twins with one key run the command once, and every
one of them gets the first answer — on SQLite as on PostgreSQL."""

import asyncio
import random

import pytest

from tuopin_eventkit.store import idempotency
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
