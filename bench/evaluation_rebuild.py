"""Rebuild of evaluation's households read model for a generated province, from the topic.

Starts its own Tansu broker and produces to ``tuopin.registry.events`` what the registry
would have published for a province of N poor households (default 970,000, the seed's
figure; ``bench.province`` says what it holds), in the order the years would bring them.

The messages are envelopes as the registry's relay writes them, serialised up front per
chunk of households (memory stays bounded) and produced with ``producer.send`` gathered
per chunk, with the kernel's producer settings: the time of the sends alone is the raw
produce figure of this run.

Then the topic is read back with raw aiokafka, every envelope parsed
(``Envelope.from_json``): the consume + parse baseline a rebuild is judged against, since
a rebuild can never be faster than reading and parsing what it replays. It is taken before
the first rebuild and after each (an odd number of times); the run of median CPU counts.

Then ``ProjectionConsumer(...).rebuild()`` of ``evaluation.households`` is timed into a
fresh SQLite file and, when a server is given, a fresh PostgreSQL database, each migrated
with ``tuopin_eventkit.migrate.upgrade(engine, spec.migrations)`` first (not timed).

Every figure is taken in a child process of its own: events per CPU-second of that process
(``time.process_time()``, every thread of it: aiosqlite runs SQLite in a thread), which
stays steady on a shared machine, and wall seconds; its peak RSS (``ru_maxrss``:
interpreter, imports, migration and rebuild); and the ratio of its CPU rate to the
consume + parse baseline. The figures go to ``bench/results/`` as JSON (``--results``) so
that the next change can be compared. Nothing is asserted.

Run from the workspace root:

    .venv/bin/python -m bench.evaluation_rebuild [--households N]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]
        [--kafka-port PORT] [--db-prefix tuopin_bench] [--results PATH] [--profile]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--kafka-port`` is the port Tansu listens on (default: a free one); ``--db-prefix`` starts
the names of the temporary directory and PostgreSQL database it creates (and drops).
``--profile`` runs the SQLite rebuild under cProfile and prints where the time goes (the
event loop's thread only: aiosqlite runs SQLite in a thread of its own, whose time shows
as waiting in the loop).
"""

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench import common
from bench.common import peak_rss_mib
from bench.province import PROVINCE_HOUSEHOLDS, Produced, produce
from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.evaluation import ExitVerifiedV2
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.consumer import ProjectionConsumer
from tuopin_eventkit.store.schema import events as event_store

# --- rebuilding (in a child process) -------------------------------------------------------


async def rebuild(bootstrap: str, url: str, profile: str | None) -> dict[str, Any]:
    from tuopin_evaluation.application.facts import households, members
    from tuopin_evaluation.entrypoints.app import spec

    settings = kafka.KafkaSettings(bootstrap_servers=bootstrap)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        consumer = ProjectionConsumer(engine, spec.projection("evaluation.households"), settings)
        last = [time.perf_counter()]
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] >= 15 or done == total:
                last[0] = now
                rate = done / max(now - started, 1e-9)
                print(f"    {done:,}/{total:,} events, {rate:,.0f} events/s", file=sys.stderr)

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        server_before = await server_cpu(engine)
        started, cpu = time.perf_counter(), time.process_time()
        applied = await consumer.rebuild(progress)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        server_after = await server_cpu(engine)
        if profiler and profile:  # one is set with the other
            profiler.disable()
            profiler.dump_stats(profile)
        async with read_only(engine).connect() as conn:
            counted = {
                "households": await conn.scalar(select(func.count()).select_from(households)),
                "members": await conn.scalar(select(func.count()).select_from(members)),
                "own_events": await conn.scalar(select(func.count()).select_from(event_store)),
                "verdicts": await conn.scalar(
                    select(func.count()).where(event_store.c.type == ExitVerifiedV2.TYPE)
                ),
            }
            if engine.dialect.name == "postgresql":
                size = await conn.scalar(select(func.pg_database_size(func.current_database())))
                counted["database_mib"] = size / 2**20
            counted["yearly"] = await yearly_figures(conn)
        if server_before is not None and server_after is not None:
            # Backends that left meanwhile are missed; the pool keeps its connections.
            counted["server_cpu_seconds"] = sum(
                used - server_before.get(pid, 0.0) for pid, used in server_after.items()
            )
        return {
            "applied": applied,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "peak_rss_mib": peak_rss_mib(),
            **counted,
        }
    finally:
        await engine.dispose()


async def server_cpu(engine: Any) -> dict[int, float] | None:
    """PostgreSQL's backends' CPU so far (see ``common.backends_cpu_seconds``)."""
    if engine.dialect.name != "postgresql":
        return None
    async with read_only(engine).connect() as conn:
        return await common.backends_cpu_seconds(conn)


YEAR_ENDS = [date(year, 12, 31) for year in range(2014, 2019)]


async def yearly_figures(conn: Any) -> dict[str, list[dict[str, Any]]]:
    """The province's figures by city at each year's end: what a back-fill must reproduce."""
    from tuopin_evaluation.application.rollups import rollups

    figures = {}
    for day in YEAR_ENDS:
        found = await rollups(conn, "620000", "city", day)
        figures[str(day)] = json.loads(json.dumps([asdict(r) for r in found.rows], default=str))
    return figures


async def consume_and_parse(bootstrap: str) -> dict[str, Any]:
    """The baseline: every message of the topic read with raw aiokafka (the settings a
    catch-up uses) and its envelope parsed, nothing else."""
    settings = kafka.KafkaSettings(bootstrap_servers=bootstrap)
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(Topic.REGISTRY, p)
            for p in sorted(consumer.partitions_for_topic(Topic.REGISTRY) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        started, cpu = time.perf_counter(), time.process_time()
        read = 0
        while True:
            # Tansu's ListOffsets may fall short of the end (see offsets.Ends): the
            # high watermark of the fetches is the end.
            for tp in partitions:
                ends[tp] = max(ends[tp], consumer.highwater(tp) or 0)
            positions = [await consumer.position(tp) for tp in partitions]
            if all(p >= ends[tp] for p, tp in zip(positions, partitions, strict=True)) and all(
                consumer.highwater(tp) is not None or ends[tp] == 0 for tp in partitions
            ):
                break
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            for records in batches.values():
                for record in records:
                    Envelope.from_json(record.value)
                read += len(records)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await consumer.stop()
    return {
        "applied": read,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mib": peak_rss_mib(),
    }


def child(args: argparse.Namespace) -> None:
    if args.database_url == "-":
        print(json.dumps(asyncio.run(consume_and_parse(args.bootstrap))))
        return
    result = asyncio.run(rebuild(args.bootstrap, args.database_url, args.profile_to))
    path = make_url(args.database_url).database
    if args.database_url.startswith("sqlite") and path:
        result["database_mib"] = os.path.getsize(path) / 2**20
    print(json.dumps(result))


def rebuild_in_child(bootstrap: str, url: str, profile: str | None) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.evaluation_rebuild",
        "--child",
        "--bootstrap",
        bootstrap,
        "--database-url",
        url,
    ]
    if profile:
        command += ["--profile-to", profile]
    done = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_profile(path: str) -> None:
    stats = pstats.Stats(path)
    for order in ("tottime", "cumulative"):
        print(f"\n--- cProfile of the SQLite rebuild, top 25 by {order} ---")
        stats.sort_stats(order).print_stats(25)


# --- report ------------------------------------------------------------------------------


def median_of(baselines: list[dict[str, Any]]) -> dict[str, Any]:
    """The baseline run of median CPU, with every run's CPU: a read of the topic takes well
    under a second, and on a shared machine one run swung by a fifth either way, moving
    every ratio with it. Taken before the first rebuild and after each, an odd number of
    times."""
    ranked = sorted(baselines, key=lambda b: b["cpu_seconds"])
    return {**ranked[len(ranked) // 2], "runs_cpu_seconds": [b["cpu_seconds"] for b in baselines]}


def figures(produced: Produced, rows: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Every figure of the run, as written to ``bench/results/``: per CPU-second of the
    measuring process and per wall second, and the ratio to consume + parse (CPU)."""
    n, baseline = produced.households, dict(rows)["consume + parse"]
    base_rate = produced.messages / baseline["cpu_seconds"]
    out: dict[str, Any] = {
        "bench": "evaluation_rebuild",
        "households": n,
        "events": produced.messages,
        "bytes": produced.bytes,
        "load_average_at_end": common.load_average(),
        "raw_produce": {"seconds": produced.seconds, "events_per_s": produced.rate},
        "runs": {},
    }
    for name, row in rows:
        rate = produced.messages / row["cpu_seconds"]
        out["runs"][name] = {
            **row,
            "events_per_cpu_s": rate,
            "events_per_wall_s": produced.messages / row["seconds"],
            "households_per_cpu_s": n / row["cpu_seconds"],
            "ratio_to_consume_parse": rate / base_rate,
        }
    return out


def server_share(row: dict[str, Any], events: int) -> str:
    server = row.get("server_cpu_seconds")
    if server is None:
        return ""
    both = events / (row["cpu_seconds"] + server)
    return f"; the server's CPU {server:,.1f} s more ({both:,.0f} events per CPU-s of both)"


def report(result: dict[str, Any]) -> None:
    print(
        f"\nhouseholds {result['households']:,}, events on the topic {result['events']:,} "
        f"({result['bytes'] / result['events']:,.0f} B average, "
        f"{result['bytes'] / 2**20:,.0f} MiB); raw produce "
        f"{result['raw_produce']['events_per_s']:,.0f} events/s (wall)"
    )
    header = ["figure", "CPU s", "events/CPU-s", "wall s", "events/s", "peak RSS MiB", "vs c+p"]
    lines = [
        [
            name if name == "consume + parse" else f"rebuild {name}",
            *(row[k] for k in ("cpu_seconds", "events_per_cpu_s", "seconds")),
            *(row[k] for k in ("events_per_wall_s", "peak_rss_mib", "ratio_to_consume_parse")),
        ]
        for name, row in result["runs"].items()
    ]
    print(common.table(header, lines))
    for name, row in result["runs"].items():
        if name == "consume + parse":
            continue
        print(
            f"  {name}: {row['applied']:,} events applied, {row['households']:,} households, "
            f"{row['members']:,} members, {row['verdicts']:,} exit verdicts appended "
            f"({row.get('own_events', 0):,} events in evaluation's store), "
            f"database {row.get('database_mib', 0):,.0f} MiB" + server_share(row, result["events"])
        )
    print(
        "events/CPU-s counts every message read (applied, or skipped as not the projection's)"
        " per CPU-second of the measuring process (all its threads); vs c+p is its ratio to"
        " raw aiokafka consume + envelope parse; peak RSS is ru_maxrss of that process;"
        f" load average at the end {result['load_average_at_end']}."
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--households",
        type=int,
        default=PROVINCE_HOUSEHOLDS,
        help=f"N (default {PROVINCE_HOUSEHOLDS:,}, the province)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite rebuild")
    common.options(parser)
    # Internal: the rebuild in its child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    with common.broker(args.kafka_port) as tansu:
        settings = common.settings(tansu)
        print(
            f"Tansu on {tansu.bootstrap_servers}; generating and producing "
            f"{args.households:,} households",
            flush=True,
        )
        produced = await produce(settings, args.households)
        print(
            f"  produced in {produced.seconds:.1f} s of sends ({produced.rate:,.0f} events/s);"
            f" generator peak RSS {peak_rss_mib():,.0f} MiB,"
            f" Tansu RSS {common.process_memory_mib(tansu.process.pid)[0]:,.0f} MiB",
            flush=True,
        )
        baselines: list[dict[str, Any]] = []

        async def baseline() -> None:
            print("consuming and parsing the topic (the baseline)", flush=True)
            row = await asyncio.to_thread(rebuild_in_child, settings.bootstrap_servers, "-", None)
            baselines.append(row)

        await baseline()
        rows: list[tuple[str, dict[str, Any]]] = []
        with common.scratch(args.db_prefix) as directory:
            if args.only in (None, "sqlite"):
                profile = str(Path(directory) / "rebuild.prof") if args.profile else None
                url = f"sqlite+aiosqlite:///{directory}/evaluation.db"
                print("rebuilding into SQLite", flush=True)
                row = await asyncio.to_thread(
                    rebuild_in_child, settings.bootstrap_servers, url, profile
                )
                rows.append(("sqlite", row))
                if profile:
                    print_profile(profile)
                await baseline()
            if args.postgres and args.only in (None, "postgres"):
                async with common.postgres(args.postgres, args.db_prefix) as url:
                    print("rebuilding into PostgreSQL", flush=True)
                    row = await asyncio.to_thread(
                        rebuild_in_child, settings.bootstrap_servers, url, None
                    )
                    rows.append(("postgres", row))
                await baseline()
            if len(baselines) % 2 == 0:  # an odd number: a median that is one of them
                await baseline()
        result = figures(produced, [("consume + parse", median_of(baselines)), *rows])
        report(result)
        common.write_results(result, args.results, f"evaluation_rebuild-{args.households}.json")


if __name__ == "__main__":
    arguments_ = arguments()
    if arguments_.child:
        child(arguments_)
    else:
        asyncio.run(main(arguments_))
