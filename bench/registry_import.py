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
``--kafka-port``.

Run from the workspace root:

    .venv/bin/python -m bench.registry_import [--households N] [--batch B] [--profile]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]
        [--db-prefix tuopin_bench] [--results FILE.json]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--db-prefix`` names the throwaway PostgreSQL databases (``<prefix>_<random>``), so that
benches run side by side do not meet. ``--profile`` runs the SQLite import under cProfile
and prints where the time goes (cumulative and own time).
"""

import argparse
import asyncio
import cProfile
import csv
import json
import os
import pstats
import random
import resource
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from stdnum.cn import ric

from tuopin_eventkit import migrate
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.identity import IdentityKeys
from tuopin_eventkit.runtime import Runtime
from tuopin_eventkit.testing import fresh_postgres_database
from tuopin_registry.adapters import sheets
from tuopin_registry.application import bulk
from tuopin_registry.application.bulk.columns import HISTORY_FIELDS
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import spec

PROVINCE_HOUSEHOLDS = 970_000
PROVINCE_PEOPLE = 4_170_000

# Poor counties whose codes are valid in resident ID numbers of any birth year.
COUNTIES = ["620121", "620123", "622921", "622922", "622924", "622926", "623021", "623023"]
TOWNSHIPS, VILLAGES = 12, 15  # per county, per township
SIZES = {1: 4, 2: 12, 3: 18, 4: 22, 5: 20, 6: 13, 7: 7, 8: 4}  # members: weight (mean 4.29)

# The usual Chinese header of every field the import reads, and one it ignores, as exports do.
HEADER = [names.split()[0] for names in bulk.COLUMNS.values()] + ["联系电话"]
ATTRIBUTES = ["一般贫困户"] * 7 + ["低保贫困户"] * 2 + ["五保贫困户"]
CAUSES = ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金"]
CAUSES += ["交通条件落后", "自身发展动力不足"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗马韩"
GIVEN = "建国秀英小明志强桂兰玉梅海军永红文华春生福德丽娟国庆兴旺"


def generate(path: Path, households: int, seed: int = 2016) -> int:
    """Write the export; return the number of people (rows)."""
    rng = random.Random(seed)
    serials: dict[tuple[str, date], int] = {}
    sizes, weights = list(SIZES), list(SIZES.values())

    def id_number(region: str, born: date, male: bool) -> str:
        serial = serials.get((region, born), 0)
        serials[(region, born)] = serial + 1  # 500 people per region, day and sex at most
        body = f"{region}{born:%Y%m%d}{serial * 2 + male:03d}"
        return body + ric.calc_check_digit(body + "0")

    def born(first: int, last: int) -> date:
        return date(first, 1, 1) + timedelta(days=rng.randrange((last - first + 1) * 365))

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))

    people = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as file:
        out = csv.writer(file)
        out.writerow(HEADER)
        for n in range(households):
            county = COUNTIES[n % len(COUNTIES)]
            village = (
                f"{county}{100 + rng.randrange(TOWNSHIPS):03d}{200 + rng.randrange(VILLAGES):03d}"
            )
            primary, *others = rng.sample(CAUSES, rng.choice((1, 1, 2, 3)))
            year = rng.choice((2014, 2015, 2016))
            household = [
                f"{county}{n:08d}",
                county,
                village,
                rng.choice(ATTRIBUTES),
                primary,
                "、".join(others),
                str(year),
                f"{year}-{rng.randint(3, 10):02d}-{rng.randint(1, 28):02d}",
                *("" for _ in HISTORY_FIELDS),  # filed only: no later history
            ]
            size = rng.choices(sizes, weights)[0]
            members = [("户主", True, born(1945, 1985))]
            if size > 1:
                members.append(("配偶", False, born(1945, 1985)))
            for _ in range(size - len(members)):
                male = rng.random() < 0.5
                members.append(("之子" if male else "之女", male, born(1995, 2015)))
            for relation, male, birth in members:
                child = birth.year >= 1995
                out.writerow(
                    [
                        *household,
                        name(),
                        id_number(county, birth, male),
                        relation,
                        "男" if male else "女",
                        f"{birth:%Y-%m-%d}",
                        rng.choice(("小学", "初中"))
                        if child
                        else rng.choice(("文盲或半文盲", "小学", "初中")),
                        rng.choice(("小学三年级", "七年级", "高中一年级", "中职一年级"))
                        if child
                        else "非在校生",
                        rng.choice(("健康", "健康", "健康", "长期慢性病", "患有大病", "残疾")),
                        rng.choice(("否",) * 15 + ("是",)),
                        "无劳动力" if child else rng.choice(("普通劳动力", "弱劳动力或半劳动力")),
                        "是",
                        "否" if child else "是",
                        f"13{rng.randrange(10**9):09d}",
                    ]
                )
                people += 1
    return people


RESULTS = Path(__file__).parent / "results"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """This process's resident memory now (not its peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


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


@asynccontextmanager
async def sqlite(folder: Path, name: str) -> AsyncIterator[str]:
    yield f"sqlite+aiosqlite:///{folder / name}"


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=bulk.DEFAULT_BATCH)
    parser.add_argument("--postgres", default=os.environ.get("TUOPIN_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="Measure one database")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite import")
    parser.add_argument("--db-prefix", default="tuopin_bench", help="PostgreSQL database names")
    parser.add_argument("--results", type=Path, help="Where to write the figures (JSON)")
    args = parser.parse_args()

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tuopin-bench-") as folder:
        path = Path(folder) / "建档立卡.csv"
        started = time.perf_counter()
        people = generate(path, args.households)
        print(
            f"generated {args.households:,} households, {people:,} people "
            f"({people / args.households:.2f} a household), {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s; batch {args.batch}\n"
        )
        print(HEADING)
        databases: list[tuple[str, Database, Database]] = [
            ("sqlite", lambda: sqlite(Path(folder), "a.db"), lambda: sqlite(Path(folder), "b.db"))
        ]
        if args.postgres:
            server, prefix = args.postgres, args.db_prefix

            def postgres() -> AbstractAsyncContextManager[str]:
                return fresh_postgres_database(server, prefix=prefix)

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
    load_after = os.getloadavg()
    print(
        "\nrows: file rows (people); ratio: rows per CPU-second against the raw bulk load of"
        " the same rows;\nprovince: CPU-minutes for 4.17 million people at that rate;"
        f" load average {load[0]:.2f} before, {load_after[0]:.2f} after;"
        f" peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    stamp = datetime.now(UTC)
    out = args.results or RESULTS / f"registry_import-{args.households}-{stamp:%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        "bench": "registry_import",
        "at": stamp.isoformat(timespec="seconds"),
        "households": args.households,
        "people": people,
        "batch": args.batch,
        "load_average": {"before": load, "after": load_after},
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
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(f"figures: {out}")


if __name__ == "__main__":
    asyncio.run(main())
