"""Throughput of the registry's bulk import (建档立卡 records), measured on a generated file,
against the raw bulk load of the same rows in the same run.

Generates a realistic export — Chinese headers and values as the provincial system writes
them, one row per person (≈4.3 a household), valid and unique resident ID numbers, eight
poor counties with villages in each — into a temp folder, then, on SQLite (a temp file) and
on PostgreSQL (a throwaway database) when a server is given:

1. imports it with ``tuopin_registry.adapters.sheets.import_file`` (what
   ``tuopin registry import`` runs) into an empty database (everything filed);
2. imports the same file again (everything ``already filed``: the cost of re-importing, or
   of resuming an interrupted import);
3. the baseline: every row the import wrote (events, vault, index tables) read back and
   inserted unchanged into a second empty database, batch by batch as the import commits
   them, with one cached ``INSERT`` per table run by executemany: the floor an import can
   approach.

Each run is measured in CPU-seconds of this process (steady on a shared machine) and wall
seconds; rates are file rows (people) per CPU-second, and the import's ratio to the raw
load. The resident memory at the first and the last batch shows whether memory stays flat.
It prints a table and writes the figures as JSON (``--results``, by default
``bench/results/registry_import-<households>-<time>.json``). Nothing is asserted. No broker
is started (the import writes the store; the relay publishes later), so there is no
``--kafka-port`` (it is accepted, and unused, so that every bench takes the same options).

Run from the workspace root:

    .venv/bin/python -m bench.registry_import [--households N] [--batch B] [--profile]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]
        [--db-prefix tuopin_bench] [--results FILE.json]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--db-prefix`` names the temporary folder and the throwaway PostgreSQL databases
(``<prefix>_<random>``), so that benches run side by side do not meet. ``--profile`` runs
the SQLite import under cProfile and prints where the time goes (cumulative, own time).
"""

import argparse
import asyncio
import cProfile
import pstats
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import common
from bench.common import rss_mib
from bench.registry_export import generate
from tuopin_eventkit import migrate
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.web.runtime import Runtime
from tuopin_registry.adapters import sheets
from tuopin_registry.application import bulk
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import spec

PROVINCE_PEOPLE = 4_170_000


@dataclass
class Run:
    database: str
    what: str  # "first import", "again", "raw bulk load"
    households: int
    rows: int  # file rows (people)
    filed: int
    wall: float
    cpu: float
    rss_first_mib: float | None = None  # resident memory after the first batch …
    rss_last_mib: float | None = None  # … and after the last

    @property
    def per_cpu(self) -> float:
        return self.rows / self.cpu

    def line(self, raw: "Run | None") -> str:
        ratio = f"{self.per_cpu / raw.per_cpu:>6.2f}" if raw and raw is not self else " " * 6
        province = PROVINCE_PEOPLE / self.per_cpu / 60
        memory = (
            f"{self.rss_first_mib:>6.0f} → {self.rss_last_mib:<6.0f}"
            if self.rss_first_mib is not None
            else ""
        )
        return (
            f"{self.database:<9} {self.what:<14} {self.households:>9,} {self.rows:>9,}"
            f" {self.cpu:>7.1f} {self.wall:>7.1f} {self.per_cpu:>11,.0f}"
            f" {self.rows / self.wall:>10,.0f} {ratio} {province:>9.1f}  {memory}"
        )


HEADING = (
    f"{'database':<9} {'run':<14} {'households':>9} {'rows':>9} {'CPU s':>7} {'wall s':>7}"
    f" {'rows/CPU-s':>11} {'rows/wall-s':>10} {'ratio':>6} {'province':>9}  RSS MiB first → last"
)


Database = Callable[[], AbstractAsyncContextManager[str]]


async def import_once(
    name: str,
    what: str,
    runtime: Runtime,
    keys: IdentityKeys,
    path: Path,
    batch: int,
    profile: bool,
) -> Run:
    memory: list[float] = []
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU, not wall
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = await sheets.import_file(
        runtime.engine,
        runtime.store,
        keys,
        runtime.settings.people(),
        path,
        batch_size=batch,
        progress=lambda _: memory.append(rss_mib()),
    )
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler:
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    t = report.totals
    filed = t.filed or t.already_filed
    return Run(name, what, t.households, t.rows, filed, wall, cpu, memory[0], memory[-1])


async def written_rows(engine: AsyncEngine) -> dict[str, tuple[str, list[tuple]]]:
    """Every row of every table the import wrote to, as the driver reads them back:
    table → (its INSERT in the driver's own parameter style, rows)."""
    meta = MetaData()
    async with engine.connect() as conn:
        await conn.run_sync(lambda sync: meta.reflect(sync))
        postgres = is_postgres(conn)
        found = {}
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            names = ", ".join(f'"{c.name}"' for c in table.columns)
            # JSON as its text: asyncpg's codec decodes it on the way out, not back in.
            read = ", ".join(
                f'"{c.name}"::text' if postgres and "JSON" in str(c.type) else f'"{c.name}"'
                for c in table.columns
            )
            rows = (await conn.exec_driver_sql(f'SELECT {read} FROM "{table.name}"')).all()
            if rows:
                count = len(table.columns)
                values = ", ".join(f"${i}" if postgres else "?" for i in range(1, count + 1))
                found[table.name] = (
                    f'INSERT INTO "{table.name}" ({names}) VALUES ({values})',
                    [tuple(r) for r in rows],
                )
    return found


async def raw_load(
    name: str,
    url: str,
    rows: dict[str, tuple[str, list[tuple]]],
    households: int,
    people: int,
    batch: int,
) -> Run:
    """The same rows inserted unchanged into an empty database of the same schema, in as
    many transactions as the import used, one INSERT per table run by the driver's
    executemany: no parsing, checking, sealing or ORM work, only the database's."""
    engine = create_async_engine(url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        async with engine.begin() as conn:  # rows the migrations seed (events_head) come back
            for table in rows:
                await conn.exec_driver_sql(f'DELETE FROM "{table}"')
        parts = max(1, -(-households // batch))
        wall, cpu = time.perf_counter(), time.process_time()
        for part in range(parts):
            async with engine.begin() as conn:
                for statement, all_rows in rows.values():
                    size = -(-len(all_rows) // parts)
                    chunk = all_rows[part * size : (part + 1) * size]
                    if chunk:
                        await conn.exec_driver_sql(statement, chunk)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await engine.dispose()
    return Run(name, "raw bulk load", households, people, households, wall, cpu)


async def measure(
    name: str, database: Database, baseline: Database, path: Path, batch: int, profile: bool
) -> list[Run]:
    runs: list[Run] = []
    async with database() as url:
        settings = RegistrySettings(database_url=url, run_relay=False, run_projections=False)
        runtime = Runtime.open(spec, settings)
        try:
            await migrate.upgrade(runtime.engine, spec.migrations)
            keys = IdentityKeys(settings.identity_key.get_secret_value())
            for what in ("first import", "again"):
                runs.append(
                    await import_once(
                        name, what, runtime, keys, path, batch, profile and what == "first import"
                    )
                )
                print(runs[-1].line(None), flush=True)
            rows = await written_rows(runtime.engine)
        finally:
            await runtime.engine.dispose()
    first = runs[0]
    async with baseline() as url:
        runs.append(await raw_load(name, url, rows, first.households, first.rows, batch))
    del rows
    print(runs[-1].line(None), flush=True)
    return runs


def figures(runs: list[Run], args: argparse.Namespace, people: int, load: list[float]) -> dict:
    """As written to ``bench/results/``: each run with its rates and its ratio to the raw
    bulk load of the same database."""
    raw = {r.database: r for r in runs if r.what == "raw bulk load"}
    return {
        "bench": "registry_import",
        "households": args.households,
        "people": people,
        "batch": args.batch,
        "load_average": {"before": load, "after": common.load_average()},
        "peak_rss_mib": common.peak_rss_mib(),
        "runs": [
            asdict(r)
            | {
                "rows_per_cpu_second": round(r.per_cpu),
                "rows_per_wall_second": round(r.rows / r.wall),
                "ratio_to_raw": round(r.per_cpu / raw[r.database].per_cpu, 3)
                if r.database in raw
                else None,
            }
            for r in runs
        ],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=bulk.DEFAULT_BATCH)
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="Measure one database")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite import")
    args = common.options(parser, kafka_port="unused: the import starts no broker").parse_args()

    load = common.load_average()
    with common.scratch(args.db_prefix) as scratch:
        folder = Path(scratch)
        path = folder / "建档立卡.csv"
        started = time.perf_counter()
        people = generate(path, args.households)
        print(
            f"generated {args.households:,} households, {people:,} people "
            f"({people / args.households:.2f} a household), {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s; batch {args.batch}\n"
        )
        print(HEADING)
        databases: list[tuple[str, Database, Database]] = [
            ("sqlite", lambda: common.sqlite(folder, "a.db"), lambda: common.sqlite(folder, "b.db"))
        ]
        if args.postgres:
            server, prefix = args.postgres, args.db_prefix

            def postgres() -> AbstractAsyncContextManager[str]:
                return common.postgres(server, prefix)

            databases.append(("postgres", postgres, postgres))
        runs: list[Run] = []
        for name, database, baseline in databases:
            if args.only and name != args.only:
                continue
            runs += await measure(
                name, database, baseline, path, args.batch, args.profile and name == "sqlite"
            )
    print(f"\n{HEADING}")
    raw = {r.database: r for r in runs if r.what == "raw bulk load"}
    for run in runs:
        print(run.line(raw.get(run.database)))
    result = figures(runs, args, people, load)
    print(
        "\nrows: file rows (people); ratio: rows per CPU-second against the raw bulk load of"
        " the same rows;\nprovince: CPU-minutes for 4.17 million people at that rate;"
        f" load average {load[0]:.2f} before, {result['load_average']['after'][0]:.2f} after;"
        f" peak RSS {result['peak_rss_mib']:.0f} MiB"
    )
    default = f"registry_import-{args.households}-{common.stamp()}.json"
    common.write_results(result, args.results, default)


if __name__ == "__main__":
    asyncio.run(main())
