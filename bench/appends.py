"""Small appends against the ``eventsourcing`` library, in interleaved rounds.

``make bench`` measures each figure in one long stretch, so on a shared machine the load
drifts between a figure and its baseline. Here, on one PostgreSQL database, rounds of
``--events`` appends (one event per transaction) alternate: the ``eventsourcing``
library's PostgreSQL recorder, ``EventStore.append`` each in its own transaction, and
``GroupCommit``; the totals per method are compared, per wall second and per CPU-second
of this process. Needs the workspace's ``bench`` dependency group and a PostgreSQL server:

    .tools/bin/uv sync --all-packages --frozen --group bench
    .venv/bin/python -m bench.appends [--rounds 6] [--events 200] [--writers 1,8]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--db-prefix tuopin_bench]
"""

import argparse
import asyncio
import os
import time

from bench import common
from bench.appending import (
    SOURCE,
    append_concurrently,
    eventsourcing_recorder,
    eventsourcing_run,
    group_appends,
    migrated,
)
from tuopin_eventkit import context
from tuopin_eventkit.store.store import EventStore

METHODS = ("eventsourcing", "append", "group commit")


async def compare(server: str, prefix: str, rounds: int, n: int, writers: int) -> None:
    async with common.postgres(server, prefix) as url, migrated(url) as engine:
        store = EventStore(SOURCE)
        # Set up once, like the kernel's engine: its pool and table are not timed.
        datastore, recorder = await asyncio.to_thread(eventsourcing_recorder, url, writers)
        wall, cpu = dict.fromkeys(METHODS, 0.0), dict.fromkeys(METHODS, 0.0)
        with context.caused_by(None, None, "bench"):
            for r in range(rounds):
                for method in METHODS:
                    start, used = time.perf_counter(), time.process_time()
                    if method == "eventsourcing":
                        await asyncio.to_thread(eventsourcing_run, recorder, n, 1, writers)
                    elif method == "append":
                        await append_concurrently(engine, store, f"a{r}", n, 1, writers)
                    else:
                        await group_appends(engine, store, f"g{r}", n, 1, writers)
                    wall[method] += time.perf_counter() - start
                    cpu[method] += time.process_time() - used
        datastore.close()
    total = rounds * n
    for method in METHODS:
        print(
            f"{writers} writer(s)  {method:<14} {total / wall[method]:>7,.0f}/s"
            f" {total / cpu[method]:>7,.0f}/CPU-s   vs eventsourcing"
            f" {wall['eventsourcing'] / wall[method]:.2f} wall,"
            f" {cpu['eventsourcing'] / cpu[method]:.2f} CPU",
            flush=True,
        )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--events", type=int, default=200, help="appends per round (200)")
    parser.add_argument(
        "--writers", type=lambda text: [int(w) for w in text.split(",")], default=[1, 8]
    )
    parser.add_argument("--postgres", default=os.environ.get("TUOPIN_TEST_POSTGRES_URL"))
    parser.add_argument("--db-prefix", default=common.DB_PREFIX, help="its database's name")
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    if not args.postgres:
        raise SystemExit("a PostgreSQL server is needed: --postgres or $TUOPIN_TEST_POSTGRES_URL")
    for writers in args.writers:
        await compare(args.postgres, args.db_prefix, args.rounds, args.events, writers)
    print(f"load average: {common.load_average()}")


if __name__ == "__main__":
    asyncio.run(main(arguments()))
