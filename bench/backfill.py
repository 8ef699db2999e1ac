"""Back-filling whole years: the same province's 2014–2018 history entered on time, and
entered years late in one go, must give the same yearly figures.

The history is the one ``bench.evaluation_rebuild`` generates: villages, filings, incomes,
assistance, member changes, exits (proposed, on notice, answered), returns and removals.
It is produced twice, each time to a fresh Tansu broker:

- **on time**: phase by phase, as the years brought it, each event recorded on the
  morning of its business date;
- **back-filled**: as a county entering old records does, household by household (all of a
  household's years together), every event recorded on 2019-03-01 — years after its
  business date. Villages are registered first and their profiles come last.

Each topic is rebuilt into a fresh SQLite database by ``evaluation.households`` (in a
child process, as the rebuild bench does); then the province's figures by city are read
as of every year's end, 2014–2018, through the roll-ups, and compared. It prints both
rebuilds' time and rate, the back-fill's ratio to the on-time rebuild, and whether every
yearly figure is the same (the first difference, if not). Nothing is asserted; the test
``services/evaluation/tests/integration/test_backfill.py`` asserts the same equality.

    .venv/bin/python -m bench.backfill [--households N] [--kafka-port PORT] [--db-prefix P]
"""

import argparse
import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench import common
from bench.evaluation_rebuild import rebuild_in_child
from bench.province import (
    CHUNK,
    PHASES,
    Produced,
    household_messages,
    produce,
    village_messages,
    villages,
)

RECORDED = datetime(2019, 3, 1, 1, tzinfo=UTC)  # the day the county entered it all
Messages = list[tuple[bytes, bytes]]


def back_filled(households: int) -> Iterator[tuple[str, Messages]]:
    """The same events (same ids, same payloads), recorded late and household by household."""
    all_villages = villages(households)
    by_index = [v for v in all_villages for _ in range(v.households)]
    registered = list(village_messages(all_villages, 1, RECORDED))
    for first in range(0, len(registered), CHUNK):
        yield "villages", registered[first : first + CHUNK]
    for first in range(0, households, CHUNK):
        chunk = range(first, min(first + CHUNK, households))
        by_phase = [household_messages(chunk, by_index, phase, RECORDED) for phase in PHASES]
        # A stable sort by household keeps each household's events in their order.
        together = sorted((m for phase in by_phase for m in phase), key=lambda m: m[0])
        yield "households, all years together", together
    profiles = list(village_messages(all_villages, 6, RECORDED))
    yield "village profiles", profiles


async def run(
    households: int, order: str, args: argparse.Namespace
) -> tuple[Produced, dict[str, Any]]:
    source = back_filled if order == "back-filled" else None
    with common.broker(args.kafka_port) as tansu:
        settings = common.settings(tansu)
        print(f"{order}: producing {households:,} households to {tansu.bootstrap_servers}")
        produced = await (
            produce(settings, households, source) if source else produce(settings, households)
        )
        with common.scratch(args.db_prefix) as directory:
            url = f"sqlite+aiosqlite:///{directory}/evaluation.db"
            print(f"{order}: rebuilding evaluation.households into SQLite", flush=True)
            row = await asyncio.to_thread(rebuild_in_child, settings.bootstrap_servers, url, None)
        return produced, row


def first_difference(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    for day in a:
        for x, y in zip(a[day], b[day], strict=True):
            if x != y:
                return f"as of {day}, {x['code']}: on time {x} / back-filled {y}"
    return None


async def main(args: argparse.Namespace) -> None:
    households = args.households
    results = {order: await run(households, order, args) for order in ("on time", "back-filled")}
    print()
    header = f"{'history':<14} {'events':>10} {'rebuild s':>10} {'events/s':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    base = None
    for order, (produced, row) in results.items():
        rate = produced.messages / row["seconds"]
        base = base or rate
        print(
            f"{order:<14} {produced.messages:>10,} {row['seconds']:>10.1f} {rate:>10,.0f} "
            f"{rate / base:>7.3f}"
        )
    on_time, late = (results[o][1]["yearly"] for o in ("on time", "back-filled"))
    difference = first_difference(on_time, late)
    for day, rows in on_time.items():
        poor = sum(r["poor_people"] for r in rows)
        year = day[:4]
        exits = sum(r["exits"].get(year, 0) for r in rows)
        returns = sum(r["returns"].get(year, 0) for r in rows)
        print(
            f"  as of {day}: {poor:,} poor people; in {year} {exits:,} exits, {returns:,} returns"
        )
    print(
        "yearly figures (by city, 2014–2018 year ends): "
        + ("identical" if difference is None else f"DIFFER — {difference}")
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--kafka-port", type=int, help=common.FREE_PORT + "; each history in turn")
    parser.add_argument("--db-prefix", default=common.DB_PREFIX, help="its temporary folder's name")
    asyncio.run(main(parser.parse_args()))
