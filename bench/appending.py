"""The appends ``bench.kernel`` and ``bench.appends`` time: the kernel's ``EventStore.append``
(each writer in its own transactions, or through ``GroupCommit``) and, as their baseline,
the ``eventsourcing`` library's PostgreSQL recorder doing the same, on ``STREAMS`` streams
shared out among the writers."""

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store.groupcommit import GroupCommit
from tuopin_eventkit.store.store import EventStore, NewEvent

SOURCE = "/tuopin/bench"
EVENT_TYPE = "bench.household.visited.v1"
STREAMS = 1000


@asynccontextmanager
async def migrated(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``url`` with the kernel's tables (and no service tables)."""
    engine = create_engine(url)
    try:
        with tempfile.TemporaryDirectory() as versions:
            await migrate.upgrade(engine, Path(versions))
        yield engine
    finally:
        await engine.dispose()


def payload(n: int) -> dict[str, Any]:
    """The data of a typical small event; its envelope is about 300 bytes of JSON."""
    return {"household_id": str(uuid.UUID(int=n)), "visit": n}


def new_events(first: int, count: int) -> list[NewEvent]:
    return [NewEvent(EVENT_TYPE, payload(n)) for n in range(first, first + count)]


async def append_streams(
    engine: AsyncEngine, store: EventStore, prefix: str, streams: range, n: int, per_tx: int
) -> None:
    """Append ``n`` events to ``streams`` round robin, ``per_tx`` events per transaction."""
    versions = dict.fromkeys(streams, 0)
    for i, first in enumerate(range(0, n, per_tx)):
        stream = streams[i % len(streams)]
        batch = new_events(first, min(per_tx, n - first))
        async with engine.begin() as conn:
            await store.append(conn, "household", f"{prefix}-{stream:04d}", versions[stream], batch)
        store.notify()
        versions[stream] += len(batch)


async def append_concurrently(
    engine: AsyncEngine, store: EventStore, prefix: str, n: int, per_tx: int, writers: int
) -> None:
    """``writers`` writers, each on its own share of the streams and of the events."""
    shares = [range(w, STREAMS, writers) for w in range(writers)]
    await asyncio.gather(
        *(append_streams(engine, store, prefix, s, n // writers, per_tx) for s in shares)
    )


async def group_appends(
    engine: AsyncEngine, store: EventStore, prefix: str, n: int, per_tx: int, writers: int
) -> None:
    """As ``append_concurrently``, each append committed through ``GroupCommit``: the
    writers' appends waiting at the same time share a transaction."""
    group = GroupCommit(engine, store)

    async def writer(streams: range) -> None:
        versions = dict.fromkeys(streams, 0)
        for i, first in enumerate(range(0, n // writers, per_tx)):
            stream = streams[i % len(streams)]
            batch = new_events(first, per_tx)
            await group.append("household", f"{prefix}-{stream:04d}", versions[stream], batch)
            versions[stream] += per_tx

    await asyncio.gather(*(writer(range(w, STREAMS, writers)) for w in range(writers)))


# --- the eventsourcing library, the baseline for appends ------------------------------

METHODS = ("eventsourcing", "append", "group")


async def interleaved(
    url: str,
    engine: AsyncEngine,
    store: EventStore,
    prefix: str,
    rounds: int,
    n: int,
    per_tx: int,
    writers: int,
) -> dict[str, tuple[float, float]]:
    """Wall and CPU-seconds (of this process) per method for ``rounds`` rounds of ``n``
    appends, the methods taking turns within each round: the ``eventsourcing`` library's
    PostgreSQL recorder, ``EventStore.append`` each in its own transaction, and
    ``GroupCommit``. On a shared machine the load drifts; in turns, each method meets it
    alike, which one long stretch each does not."""
    # Set up once, like the kernel's engine: its pool and table are not timed.
    datastore, recorder = await asyncio.to_thread(eventsourcing_recorder, url, writers)
    wall, cpu = dict.fromkeys(METHODS, 0.0), dict.fromkeys(METHODS, 0.0)
    try:
        for r in range(rounds):
            for method in METHODS:
                start, used = time.perf_counter(), time.process_time()
                if method == "eventsourcing":
                    await asyncio.to_thread(eventsourcing_run, recorder, n, per_tx, writers)
                else:
                    work = append_concurrently if method == "append" else group_appends
                    await work(engine, store, f"{prefix}{method[0]}{r}", n, per_tx, writers)
                wall[method] += time.perf_counter() - start
                cpu[method] += time.process_time() - used
    finally:
        datastore.close()
    return {method: (wall[method], cpu[method]) for method in METHODS}


def eventsourcing_recorder(url: str, writers: int) -> tuple[Any, Any]:
    """eventsourcing's datastore (a pool of ``writers`` connections) and its recorder."""
    from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

    parsed = make_url(url)
    datastore = PostgresDatastore(
        parsed.database or "",
        parsed.host or "127.0.0.1",
        parsed.port or 5432,
        parsed.username or "postgres",
        parsed.password or "",
        pool_size=writers,
    )
    table = f"es_events_{writers}"
    recorder = PostgresApplicationRecorder(datastore, events_table_name=table)
    recorder.create_table()
    return datastore, recorder


def eventsourcing_run(recorder: Any, n: int, per_tx: int, writers: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from eventsourcing.persistence import StoredEvent

    topic = "bench:HouseholdVisited"

    def writer(w: int) -> None:
        streams = [uuid.uuid4() for _ in range(w, STREAMS, writers)]
        versions = dict.fromkeys(streams, 0)
        for i, first in enumerate(range(0, n // writers, per_tx)):
            stream = streams[i % len(streams)]
            batch = [
                StoredEvent(
                    stream, versions[stream] + k + 1, topic, json.dumps(payload(e)).encode()
                )
                for k, e in enumerate(range(first, first + per_tx))
            ]
            recorder.insert_events(batch)
            versions[stream] += per_tx

    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(writer, range(writers)))
