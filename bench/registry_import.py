"""Throughput of the registry's bulk import (建档立卡 records), measured on a generated file.

Generates a realistic export — Chinese headers and values as the provincial system writes
them, one row per person (≈4.3 a household), valid and unique resident ID numbers, eight
poor counties with villages in each — into a temp folder, then imports it with
``tuopin_registry.application.bulk.import_file`` (what ``tuopin registry import`` runs):

1. on SQLite (a temp file), and on PostgreSQL (a throwaway database) when a server is given;
2. first into an empty database (everything filed), then the same file again (everything
   ``already filed``: the cost of re-importing, or of resuming an interrupted import).

It prints households/s, people/s and events/s and what that makes for the whole province
(970,000 households, 4.17 million people). Nothing is asserted.

Run from the workspace root:

    .venv/bin/python -m bench.registry_import [--households N] [--batch B] [--profile]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--profile`` runs the SQLite import under cProfile and prints where the time goes.
"""

import argparse
import asyncio
import cProfile
import csv
import os
import pstats
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

from tuopin_eventkit import migrate
from tuopin_eventkit.identity import IdentityKeys
from tuopin_eventkit.service import Runtime
from tuopin_eventkit.testing import fresh_postgres_database
from tuopin_registry.application import bulk
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
                *("" for _ in bulk.HISTORY_FIELDS),  # filed only: no later history
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


@dataclass
class Run:
    database: str
    what: str
    report: bulk.Report
    seconds: float

    def line(self) -> str:
        t, s = self.report.totals, self.seconds
        filed = t.filed or t.already_filed
        province = PROVINCE_HOUSEHOLDS / (filed / s) / 60
        return (
            f"{self.database:<10} {self.what:<14} {t.households:>9,} {t.rows:>10,} {s:>8.1f}"
            f" {filed / s:>12,.0f} {t.rows / s:>11,.0f} {t.filed / s:>10,.0f} {province:>9.1f}"
        )


Database = Callable[[], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def sqlite(folder: Path) -> AsyncIterator[str]:
    yield f"sqlite+aiosqlite:///{folder / 'registry.db'}"


async def measure(
    name: str, database: Database, path: Path, batch: int, profile: bool
) -> list[Run]:
    runs = []
    async with database() as url:
        settings = RegistrySettings(database_url=url, run_relay=False, run_projections=False)
        runtime = Runtime.open(spec, settings)
        try:
            await migrate.upgrade(runtime.engine, spec.migrations)
            keys = IdentityKeys(settings.identity_key.get_secret_value())
            for what in ("first import", "again"):
                profiler = cProfile.Profile() if profile and what == "first import" else None
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                report = await bulk.import_file(
                    runtime.engine, runtime.store, keys, path, batch_size=batch
                )
                if profiler:
                    profiler.disable()
                runs.append(Run(name, what, report, time.perf_counter() - started))
                print(runs[-1].line(), flush=True)
                if profiler:
                    stats = pstats.Stats(profiler).strip_dirs()
                    stats.sort_stats("tottime").print_stats(25)
        finally:
            await runtime.engine.dispose()
    return runs


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=bulk.DEFAULT_BATCH)
    parser.add_argument("--postgres", default=os.environ.get("TUOPIN_TEST_POSTGRES_URL"))
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="Measure one database")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite import")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tuopin-bench-") as folder:
        path = Path(folder) / "建档立卡.csv"
        started = time.perf_counter()
        people = generate(path, args.households)
        print(
            f"generated {args.households:,} households, {people:,} people "
            f"({people / args.households:.2f} a household), {path.stat().st_size / 1e6:.1f} MB "
            f"in {time.perf_counter() - started:.1f} s; batch {args.batch}\n"
        )
        print(
            f"{'database':<10} {'run':<14} {'households':>9} {'rows':>10} {'seconds':>8}"
            f" {'households/s':>12} {'people/s':>11} {'events/s':>10} {'province':>9}"
        )
        databases: list[tuple[str, Database]] = [("sqlite", lambda: sqlite(Path(folder)))]
        if args.postgres:
            databases.append(
                ("postgres", lambda: fresh_postgres_database(args.postgres, prefix="tuopin_bench"))
            )
        for name, database in databases:
            if args.only and name != args.only:
                continue
            await measure(name, database, path, args.batch, args.profile and name == "sqlite")
        print(
            "\nprovince: minutes for 970,000 households (4.17 million people) at that rate;"
            " events/s counts the HouseholdRegistered events appended (one per household)."
        )


if __name__ == "__main__":
    asyncio.run(main())
