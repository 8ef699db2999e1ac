"""The event store on SQLite and PostgreSQL: optimistic concurrency, order, replay."""

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tuopin_eventkit import context
from tuopin_eventkit.db import read_only
from tuopin_eventkit.store.store import ConcurrencyConflict, NewEvent


def event(n: int) -> NewEvent:
    return NewEvent(type="test.thing.happened.v1", data={"n": n})


async def test_append_assigns_versions_and_gap_free_positions(engine, store) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 0, [event(1), event(2)])
        await store.append(conn, "thing", "b", 0, [event(3)])
        await store.append(conn, "thing", "a", 2, [event(4)])
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
        stream = await store.load(conn, "a")
    assert [e.position for e in feed] == [1, 2, 3, 4]
    assert [(e.stream_id, e.version, e.data["n"]) for e in feed] == [
        ("a", 1, 1),
        ("a", 2, 2),
        ("b", 1, 3),
        ("a", 3, 4),
    ]
    assert [e.version for e in stream] == [1, 2, 3]
    assert stream[0].envelope("/tuopin/test").sequence == 1


async def test_a_payload_reads_back_as_it_was_appended(engine, store) -> None:
    """Stored as pydantic-core's JSON text: Chinese text, nesting, nulls, numbers and
    booleans read back equal."""
    data = {"名": "张三", "members": [{"id": "a", "n": 2**40, "ok": True, "x": None}], "s": '"\n'}
    async with engine.begin() as conn:
        await store.append(
            conn, "thing", "c", 0, [NewEvent(type="test.thing.happened.v1", data=data)]
        )
    async with engine.connect() as conn:
        (stored,) = await store.load(conn, "c")
    assert stored.data == data


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(engine, store) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 0, [event(1)])
    with pytest.raises(ConcurrencyConflict) as conflict:
        async with engine.begin() as conn:
            await store.append(conn, "thing", "a", 0, [event(2)])
    assert (conflict.value.expected, conflict.value.actual) == (0, 1)
    async with engine.connect() as conn:
        assert await store.head(conn) == 1


async def test_concurrent_writers_to_one_stream_exactly_one_wins(engine, store) -> None:
    async def write(n: int) -> bool:
        try:
            async with engine.begin() as conn:
                await store.append(conn, "thing", "contested", 0, [event(n)])
            return True
        except ConcurrencyConflict:
            return False

    outcomes = await asyncio.gather(*(write(n) for n in range(8)))
    assert outcomes.count(True) == 1
    async with engine.connect() as conn:
        assert [e.version for e in await store.load(conn, "contested")] == [1]


async def test_a_rolled_back_append_leaves_no_gap(engine, store) -> None:
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await store.append(conn, "thing", "a", 0, [event(1)])
            raise RuntimeError("the command failed after appending")
    async with engine.begin() as conn:
        await store.append(conn, "thing", "b", 0, [event(2)])
    async with engine.connect() as conn:
        assert [e.position for e in await store.read_all(conn, 0, 10)] == [1]


async def test_state_as_of_a_past_instant_replays_only_what_was_recorded_by_then(
    engine, store
) -> None:
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 0, [event(1)])
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC)
    await asyncio.sleep(0.01)
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 1, [event(2)])
    async with engine.connect() as conn:
        assert [e.data["n"] for e in await store.load(conn, "a", known_at=cut)] == [1]
        assert [e.data["n"] for e in await store.load(conn, "a")] == [1, 2]
        # The same instant written in Beijing time: SQLite compares text, so it must be
        # put in UTC first (8 hours "later" as text would wrongly admit the second event).
        beijing = cut.astimezone(timezone(timedelta(hours=8)))
        assert [e.data["n"] for e in await store.load(conn, "a", known_at=beijing)] == [1]


async def test_a_later_append_waits_for_an_open_one_so_commits_follow_positions(
    engine, store
) -> None:
    """The out-of-order-commit hazard: B may not commit position N+1 while A holds N open."""
    a_appended, release_a = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def slow_a() -> None:
        async with engine.begin() as conn:
            await store.append(conn, "thing", "a", 0, [event(1)])
            a_appended.set()
            await release_a.wait()
        order.append("a committed")

    async def quick_b() -> None:
        await a_appended.wait()
        async with engine.begin() as conn:
            await store.append(conn, "thing", "b", 0, [event(2)])
        order.append("b committed")

    task_a, task_b = asyncio.create_task(slow_a()), asyncio.create_task(quick_b())
    await asyncio.sleep(0.3)
    async with read_only(engine).connect() as conn:  # a reader sees neither yet
        assert await store.read_all(conn, 0, 10) == []
    assert order == []
    release_a.set()
    await asyncio.gather(task_a, task_b)
    assert order == ["a committed", "b committed"]
    async with engine.connect() as conn:
        feed = await store.read_all(conn, 0, 10)
    assert [(e.stream_id, e.position) for e in feed] == [("a", 1), ("b", 2)]


async def test_the_wire_form_is_the_envelopes_json_byte_for_byte(engine, store) -> None:
    dated = "evaluation.household.return_warning_raised.v1"  # its business date: raised_on
    payloads = [
        NewEvent(type="test.thing.happened.v1", data={"名": "张三", "n": [1, 2.5, None, True]}),
        NewEvent(type=dated, data={"raised_on": "2016-05-04", "note": "返贫预警"}),
    ]
    async with engine.begin() as conn:
        await store.append(conn, "thing", "a", 0, payloads[:1])
    with context.caused_by("corr-1", "cause-1", "县扶贫办"):
        async with engine.begin() as conn:
            await store.append(conn, "thing", "a", 1, payloads[1:])
    async with engine.connect() as conn:
        feed = await store.read_all(conn, after=0, limit=10)
    assert feed[1].actor == "县扶贫办" and feed[1].effective_date.isoformat() == "2016-05-04"
    for e in feed:
        assert e.wire("/tuopin/test") == e.envelope("/tuopin/test").to_json()
