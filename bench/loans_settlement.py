"""Quarterly interest-subsidy settlement (贴息结算) over a generated portfolio of the
programme's scale: 800,000 microcredit loans (40 billion yuan ÷ 50,000 yuan).

The loan book is written straight into loans' read-model tables (``loan_book``,
``principal_movements``) as its inline projection would hold them — the settlement reads
only those — for loans signed between mid-2015 and mid-2016 at the benchmark of their
signing day, 10,000–50,000 yuan, 12–36 months, disbursed in one or two tranches, with 0–3
principal repayments and ~3 % defaulted, across 75 counties and 6 banks.

Timed: ``settlement.compute(conn, quarter)`` — the statements per bank and county, every
loan's subsidy accrued day by day and rounded to the fen. The baseline, measured in the
same run on the same database, is the bare streamed read of the same rows (the query the
settlement runs, no arithmetic): the ratio says what the accrual adds to reading.

Each database runs in a child process of its own, so its peak resident set size
(``ru_maxrss``: interpreter, imports, generation and settlement) is its own.

    .venv/bin/python -m bench.loans_settlement [--loans N] [--quarter 2016Q3]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]
        [--db-prefix tuopin_bench] [--results PATH]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
Nothing is asserted.
"""

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import common
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_loans.application import settlement
from tuopin_loans.application.book_tables import loans, movements
from tuopin_loans.application.reference import programme
from tuopin_loans.domain.loan import LoanState, add_months
from tuopin_loans.domain.rules import benchmark
from tuopin_loans.entrypoints.app import spec

BANKS = ["gansu-rcc", "psbc", "abc", "ccb", "boc", "icbc"]
COUNTIES = [f"62{c:04d}" for c in range(1121, 1121 + 75)]
CHUNK = 20_000


def portfolio(count: int, seed: int = 2016) -> Any:
    """Chunks of (loan rows, movement rows)."""
    rng = random.Random(seed)
    rates = programme().rates
    loan_rows: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for i in range(count):
        signed = date(2015, 6, 1) + timedelta(days=rng.randrange(366))
        term = rng.choice((12, 24, 36))
        amount = rng.randrange(10_000, 50_001, 1_000) * 100
        maturity = add_months(signed, term)
        loan_id = str(uuid.UUID(int=rng.getrandbits(128)))
        tranches = [amount] if rng.random() < 0.8 else [amount // 2, amount - amount // 2]
        day, outstanding, seq = signed + timedelta(days=rng.randrange(1, 10)), 0, 0
        for tranche in tranches:
            seq += 1
            outstanding += tranche
            moves.append({"loan_id": loan_id, "sequence": seq, "on": day, "delta": tranche})
            day += timedelta(days=rng.randrange(20, 90))
        for _ in range(rng.randrange(4)):
            day += timedelta(days=rng.randrange(30, 200))
            if day >= maturity or outstanding == 0:
                break
            paid = min(outstanding, rng.randrange(1, 11) * 100_000)
            seq += 1
            outstanding -= paid
            moves.append({"loan_id": loan_id, "sequence": seq, "on": day, "delta": -paid})
        defaulted = (
            signed + timedelta(days=rng.randrange(200, 700)) if rng.random() < 0.03 else None
        )
        loan_rows.append(
            {
                "loan_id": loan_id,
                "bank_id": BANKS[i % len(BANKS)],
                "loan_ref": f"B{i:07d}",
                "household_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "county_code": COUNTIES[i % len(COUNTIES)],
                "product": "microcredit",
                "state": LoanState.DEFAULTED if defaulted else LoanState.ACTIVE,
                "decided_on": signed,
                "amount": amount,
                "term_months": term,
                "annual_rate": str(benchmark(rates, term, signed).annual_rate),
                "signed_on": signed,
                "maturity_date": maturity,
                "subsidy_until": maturity - timedelta(days=1),
                "disbursed": amount,
                "outstanding": outstanding,
                "interest_received": 0,
                "days_past_due": 0,
                "defaulted_on": defaulted,
                "written_off": 0,
                "premium_subsidy": 0,
            }
        )
        if len(loan_rows) == CHUNK:
            yield loan_rows, moves
            loan_rows, moves = [], []
    if loan_rows:
        yield loan_rows, moves


async def fill(engine: AsyncEngine, count: int) -> int:
    written = 0
    for loan_rows, moves in portfolio(count):
        async with engine.begin() as conn:
            await conn.execute(insert(loans), loan_rows)
            await conn.execute(insert(movements), moves)
        written += len(moves)
    return written


async def scan(engine: AsyncEngine, quarter: str) -> int:
    start, _ = settlement.quarter_bounds(quarter)
    rows = 0
    async with engine.connect() as conn:
        async for _ in settlement._loans_in(conn, start, None):  # the same read, every county
            rows += 1
    return rows


async def run_one(url: str, count: int, quarter: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        started = time.perf_counter()
        moves = await fill(engine, count)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        read = await scan(engine, quarter)
        scanned = time.perf_counter() - started
        started = time.perf_counter()
        async with engine.connect() as conn:
            lines = await settlement.compute(conn, quarter)
        settled = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "loans": count,
        "movements": moves,
        "generate_s": generated,
        "loans_read": read,
        "scan_s": scanned,
        "settle_s": settled,
        "statements": len(lines),
        "subsidy_fen": sum(line.amount for line in lines),
        "peak_rss_mb": common.peak_rss_mib(),
    }


def child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        with common.scratch(args.db_prefix) as tmp:
            database = (
                common.sqlite(Path(tmp), "loans-bench.db")
                if kind == "sqlite"
                else common.postgres(args.postgres, args.db_prefix, "loans")
            )
            async with database as url:
                return await run_one(url, args.loans, args.quarter)

    return asyncio.run(main())


def report(kind: str, r: dict[str, Any]) -> None:
    per_s = r["loans"] / r["settle_s"]
    print(f"\n{kind}: {r['loans']:,} loans, {r['movements']:,} principal movements")
    print(f"  generated and written in        {r['generate_s']:8.1f} s (not part of the figure)")
    print(f"  baseline: streamed read         {r['scan_s']:8.1f} s  ({r['loans_read']:,} loans)")
    print(
        f"  settlement {r['quarter']}            {r['settle_s']:8.1f} s  "
        f"{per_s:,.0f} loans/s  = {r['settle_s'] / r['scan_s']:.2f}× the read"
    )
    yuan, fen = divmod(r["subsidy_fen"], 100)
    print(f"  {r['statements']} statements, subsidy {yuan:,}.{fen:02d} yuan")
    print(f"  peak RSS of the process         {r['peak_rss_mb']:8.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=800_000)
    parser.add_argument("--quarter", default="2016Q3")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    args = common.options(parser, kafka_port=None).parse_args()
    if args.child:
        print(json.dumps(child(args.child, args), default=str))
        return
    kinds = [args.only] if args.only else ["sqlite"] + (["postgres"] if args.postgres else [])
    runs = {}
    for kind in kinds:
        command = [
            sys.executable,
            "-m",
            "bench.loans_settlement",
            "--child",
            kind,
            "--loans",
            str(args.loans),
            "--quarter",
            args.quarter,
            "--db-prefix",
            args.db_prefix,
        ]
        if args.postgres:
            command += ["--postgres", args.postgres]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        runs[kind] = {**json.loads(out.strip().splitlines()[-1]), "quarter": args.quarter}
        report(kind, runs[kind])
    figures = {"bench": "loans_settlement", "runs": runs, "load_average": common.load_average()}
    common.write_results(figures, args.results, f"loans_settlement-{args.loans}.json")


if __name__ == "__main__":
    main()
