"""The query plans of every read: each GET route of the registry and evaluation, asked over a
generated province, its SQL caught as the service sends it and run again under PostgreSQL's
``EXPLAIN ANALYZE``.

The databases are filled as ``bench.reads`` fills them (``bench.fill``). Each route of the
two services' API documents (``/v1/…``, path parameters filled from the data) is asked in
process as the province's administrator, once as it comes (the province, today) and, where
it takes them, for the largest county (``region``), as of 2016-12-31 (``as_of``) and as
known at an instant after every fact (``known_at``). Every ``SELECT`` a request sends is
explained with its own parameters; for each request the table shows its answer, how many
statements it sent, their execution time in the database, and the sequential scans that
read at least ``--seq-rows`` rows (table: rows read) — a read that grows with the province
rather than with what it answers. Nothing is asserted.

    .venv/bin/python -m bench.plans [--households N] [--seq-rows N] [--postgres URL]
        [--db-prefix tuopin_bench] [--results PATH]

PostgreSQL only (``--postgres``, default ``$TUOPIN_TEST_POSTGRES_URL``). The figures go to
``bench/results/plans-<households>.json``.
"""

import argparse
import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import common
from bench.fill import fill_evaluation, fill_registry
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.testing import client_for

AS_OF = "2016-12-31"


@dataclass
class Scan:
    table: str
    rows: int  # read: kept plus removed by the filter, over every loop


@dataclass
class Read:
    service: str
    path: str
    variant: str
    status: int = 0
    statements: int = 0
    database_ms: float = 0.0  # EXPLAIN ANALYZE's execution time, summed
    wall_ms: float = 0.0  # the request in process, as first asked
    scans: list[Scan] = field(default_factory=list)


# --- the statements a request sends ----------------------------------------------------------


class Caught:
    """Every SELECT sent through any engine while ``catching`` (one request at a time)."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] | None = None
        event.listen(Engine, "before_cursor_execute", self._sent)

    def _sent(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.statements is not None and re.match(r"\s*(SELECT|WITH)\b", statement, re.I):
            self.statements.append((statement, parameters))

    @contextmanager
    def catching(self) -> Iterator[list[tuple[str, Any]]]:
        self.statements = []
        try:
            yield self.statements
        finally:
            self.statements = None

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._sent)


async def explain(engine: AsyncEngine, statement: str, parameters: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        sql = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
        (plan,) = (await conn.exec_driver_sql(sql, tuple(parameters or ()))).scalar_one()
        await conn.rollback()
    return dict(plan)


def seq_scans(node: dict[str, Any], at_least: int) -> Iterator[Scan]:
    if node.get("Node Type") == "Seq Scan":
        loops = node.get("Actual Loops", 1)
        rows = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)) * loops
        if rows >= at_least:
            yield Scan(node.get("Relation Name", "?"), int(rows))
    for child in node.get("Plans", []):
        yield from seq_scans(child, at_least)


# --- the reads -------------------------------------------------------------------------------


def variants(operation: dict[str, Any], county: str) -> list[tuple[str, dict[str, str]]]:
    """The request as it comes, then for the county, as of a day, as known at an instant —
    each where the route takes it."""
    takes = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    where = {"region": county} if "region" in takes else {}
    known_at = datetime.now(UTC).isoformat()
    asked = [("as it comes", {})]
    if where:
        asked.append(("county", where))
    if "as_of" in takes:
        asked.append(("as of " + AS_OF, {**where, "as_of": AS_OF}))
    if "known_at" in takes:
        asked.append(("known at now", {**where, "known_at": known_at}))
    return asked


async def ask_every_read(
    service: str,
    app: FastAPI,
    engine: AsyncEngine,
    paths: dict[str, str],
    caught: Caught,
    seq_rows: int,
) -> list[Read]:
    reads = []
    async with client_for(app) as client:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line a request otherwise
        document = app.openapi()
        for path, operations in document["paths"].items():
            get = operations.get("get")
            if get is None or not path.startswith("/v1/"):
                continue
            try:
                url = path.format(**paths)
            except KeyError:  # a route of something the fill makes none of (imports …)
                continue
            for variant, query in variants(get, paths["county"]):
                read = Read(service, path, variant)
                with caught.catching() as statements:
                    started = time.perf_counter()
                    answer = await client.get(url, params=query)
                    read.wall_ms = (time.perf_counter() - started) * 1000
                read.status, read.statements = answer.status_code, len(statements)
                for statement, parameters in statements:
                    plan = await explain(engine, statement, parameters)
                    read.database_ms += plan["Execution Time"]
                    read.scans += seq_scans(plan["Plan"], seq_rows)
                reads.append(read)
                print(line(read), flush=True)
    return reads


HEADING = (
    f"{'service':<10}  {'route':<52}  {'variant':<18}  answer  stmts  db ms  wall ms  seq scans"
)


def line(r: Read) -> str:
    scans = ", ".join(f"{s.table}: {s.rows:,}" for s in r.scans)
    return (
        f"{r.service:<10}  {r.path:<52}  {r.variant:<18}  {r.status:>6}  {r.statements:>5}  "
        f"{r.database_ms:>5.0f}  {r.wall_ms:>7.0f}  {scans}"
    )


async def data_of(engine: AsyncEngine, households: Any) -> dict[str, str]:
    """The path parameters: the service's largest county (by households), a village and a
    household in it."""
    h = households.c
    async with engine.connect() as conn:
        county = await conn.scalar(
            select(h.county_code).group_by(h.county_code).order_by(func.count().desc()).limit(1)
        )
        one = select(h.household_id, h.village_code).where(h.county_code == county).limit(1)
        household, village = (await conn.execute(one)).one()
    return {"household_id": household, "village_code": village, "county": county, "code": county}


# --- the run ---------------------------------------------------------------------------------


@asynccontextmanager
async def engine_on(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from tuopin_evaluation.application.facts import households as facts
    from tuopin_evaluation.config import EvaluationSettings
    from tuopin_evaluation.entrypoints.app import app as evaluation_app
    from tuopin_registry.application.household_index import households as index
    from tuopin_registry.config import RegistrySettings
    from tuopin_registry.entrypoints.app import app as registry_app

    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(common.scratch(args.db_prefix)))
        urls = [
            await stack.enter_async_context(common.postgres(args.postgres, args.db_prefix, n))
            for n in ("registry", "evaluation")
        ]
        print(f"filling {args.households:,} households", flush=True)
        await fill_registry(urls[0], args.households, folder)
        await fill_evaluation(urls[1], args.households)
        caught = Caught()
        stack.callback(caught.close)
        print(f"\n{HEADING}", flush=True)
        reads, counties = [], {}
        services = (
            ("registry", registry_app, RegistrySettings, index),
            ("evaluation", evaluation_app, EvaluationSettings, facts),
        )
        for (service, make, settings, table), url in zip(services, urls, strict=True):
            engine = await stack.enter_async_context(engine_on(url))
            paths = await data_of(engine, table)
            counties[service] = paths["county"]
            app = make(settings(database_url=url, run_relay=False, run_projections=False))
            reads += await ask_every_read(service, app, engine, paths, caught, args.seq_rows)
    return {
        "bench": "plans",
        "households": args.households,
        "counties": counties,
        "seq_rows": args.seq_rows,
        "reads": [asdict(r) for r in reads],
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seq-rows", type=int, default=10_000, help="scans reported from")
    common.options(parser, kafka_port="unused: no broker is started")
    args = parser.parse_args()
    if not args.postgres:
        parser.error("EXPLAIN ANALYZE needs PostgreSQL: --postgres or $TUOPIN_TEST_POSTGRES_URL")
    return args


def main() -> None:
    args = arguments()
    result = asyncio.run(run(args))
    slow = sorted(result["reads"], key=lambda r: r["database_ms"], reverse=True)[:5]
    where = ", ".join(f"{s} {c}" for s, c in result["counties"].items())
    print(f"\n{args.households:,} households (counties: {where}); slowest in the database:")
    for r in slow:
        print(f"  {r['database_ms']:,.0f} ms  {r['service']} {r['path']} ({r['variant']})")
    common.write_results(result, args.results, f"plans-{args.households}.json")


if __name__ == "__main__":
    main()
