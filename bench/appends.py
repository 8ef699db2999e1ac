"""Small appends against the ``eventsourcing`` library, in interleaved rounds: the append
figures of ``make bench`` alone, quicker to repeat.

On one PostgreSQL database, rounds of ``--events`` appends (one event per transaction)
alternate: the ``eventsourcing``
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

from bench import common
from bench.appending import SOURCE, interleaved, migrated
from tuopin_eventkit import context
from tuopin_eventkit.store.store import EventStore


async def compare(server: str, prefix: str, rounds: int, n: int, writers: int) -> None:
    async with common.postgres(server, prefix) as url, migrated(url) as engine:
        with context.caused_by(None, None, "bench"):
            times = await interleaved(url, engine, EventStore(SOURCE), "", rounds, n, 1, writers)
    total = rounds * n
    base_wall, base_cpu = times["eventsourcing"]
    for method, (wall, cpu) in times.items():
        print(
            f"{writers} writer(s)  {method:<14} {total / wall:>7,.0f}/s"
            f" {total / cpu:>7,.0f}/CPU-s   vs eventsourcing"
            f" {base_wall / wall:.2f} wall, {base_cpu / cpu:.2f} CPU",
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
