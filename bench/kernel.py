"""Throughput of the eventkit kernel against raw aiokafka, all measured in one run.

Starts its own Tansu broker and measures, in events per second:

1. raw aiokafka produce (the baseline): N pre-serialised ~300-byte CloudEvents envelopes
   sent with ``producer.send`` and awaited together, with the kernel's producer settings;
2. ``EventStore.append`` on SQLite (a temp file) and on PostgreSQL (a throwaway database,
   if a server URL is given): (a) ``--batch`` events per transaction by each of
   ``--writers`` concurrent writers (1 and 8 by default), each in its own transaction,
   then the same through ``GroupCommit`` (the appends waiting at once share one
   transaction and one statement), (b) ``--batched`` events per
   transaction, one writer; on PostgreSQL also (a') the same small appends by the
   ``eventsourcing`` library (the baseline for appends: its PostgreSQL recorder, one
   event per transaction, threads as writers) when it is installed (``make bench``
   installs the workspace's ``bench`` dependency group), the three taking turns in five
   rounds so that the machine's drifting load falls on each alike;
3. the outbox relay: ``OutboxRelay.publish_pending()`` (batch_size 1000) looped until it
   has drained everything the append figures wrote, to the broker (its time includes
   starting the relay's producer and serialising the envelopes; the raw figure's doesn't).

   Then the same store republished into a fresh broker (another cluster: the relay finds
   its log replaced and publishes everything again from position 1), as after a restart
   of the embedded broker;
4. a projection catching up from the registry topic (N household registrations), applied
   with dedupe records and offsets in the same transactions, as a replay would run.

Each figure is also shown as a ratio to the raw produce rate of the same run, and the small
appends as a ratio to the ``eventsourcing`` row with as many writers. Rates are per wall
second and per CPU-second of this process (the database server's CPU is in neither). The
small transaction figures (a, a') use N/4 events to keep the run short; each row prints its N.
The append figures write into one database per backend (distinct streams per figure),
which the relay figure then drains. Nothing is asserted: it only prints.

Run from the workspace root:

    .venv/bin/python -m bench.kernel [--events N] [--batch B] [--batched B] [--writers 1,8]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--kafka-port PORT]
        [--db-prefix tuopin_bench] [--results PATH]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--kafka-port`` is the broker's port (the fresh broker of the republish figure takes the
next one); the figures go to ``bench/results/kernel-<events>.json`` unless ``--results``.
"""

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench import common
from bench.appending import (
    EVENT_TYPE,
    SOURCE,
    STREAMS,
    append_concurrently,
    append_streams,
    group_appends,
    interleaved,
    migrated,
    payload,
)
from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import HouseholdRegisteredV3
from tuopin_contracts.examples import household_registered
from tuopin_eventkit import context
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.messaging.consumer import ProjectionConsumer
from tuopin_eventkit.messaging.relay import OutboxRelay
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_eventkit.store.store import EventStore

RELAY_BATCH = 1000

Database = Callable[[], AbstractAsyncContextManager[str]]  # yields a database URL


@dataclass
class Row:
    figure: str
    database: str
    events: int
    seconds: float
    cpu: float  # CPU-seconds of this process

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def cpu_rate(self) -> float:
        return self.events / max(self.cpu, 1e-9)


def raw_message(n: int) -> tuple[bytes, bytes]:
    """(key, value) as the relay would send event ``n``, serialised up front."""
    stream = f"raw-{n % STREAMS:04d}"
    envelope = Envelope(
        id=uuid.uuid4(),
        source=SOURCE,
        type=EVENT_TYPE,
        subject=stream,
        time=datetime.now(UTC),
        data=payload(n),
        sequence=n // STREAMS + 1,
        actor="bench",
    )
    return stream.encode(), envelope.to_json()


async def timed(figure: str, database: str, events: int, work: Awaitable[Any]) -> Row:
    start, cpu = time.perf_counter(), time.process_time()
    await work
    row = Row(figure, database, events, time.perf_counter() - start, time.process_time() - cpu)
    print(f"  {figure:<30} {database:<9} {row.rate:>10,.0f} events/s", flush=True)
    return row


# --- raw aiokafka ---------------------------------------------------------------------


async def raw_produce(settings: kafka.KafkaSettings, topic: str, n: int) -> Row:
    messages = [raw_message(i) for i in range(n)]
    size = sum(len(value) for _, value in messages) / n
    producer = kafka.producer(settings)
    await producer.start()
    try:

        async def produce() -> None:
            sent = [await producer.send(topic, value, key=key) for key, value in messages]
            await asyncio.gather(*sent)

        return await timed(f"raw produce ({size:.0f} B)", "-", n, produce())
    finally:
        await producer.stop()


# --- appends --------------------------------------------------------------------------


def small_appends(args: argparse.Namespace, writers: int) -> int:
    whole = writers * args.batch  # every writer appends whole transactions
    return max(whole, args.events // 4 // whole * whole)


def writers_label(writers: int) -> str:
    return f"{writers} writer{'s' if writers > 1 else ''}"


async def append_figures(
    engine: AsyncEngine, store: EventStore, name: str, url: str, args: argparse.Namespace
) -> list[Row]:
    """The small appends (on PostgreSQL in turns with the ``eventsourcing`` library's,
    see ``appending.interleaved``), then the batched ones."""
    rows = []
    for writers in args.writers:
        n = small_appends(args, writers)
        shape = f"{args.batch}/tx, {writers_label(writers)}"
        if name == "postgres" and eventsourcing_installed():
            rounds = 5
            times = await interleaved(
                url, engine, store, f"w{writers}", rounds, n // rounds, args.batch, writers
            )
            for method, (wall, cpu) in times.items():
                rows.append(Row(f"{method} {shape}", name, n // rounds * rounds, wall, cpu))
                print(f"  {rows[-1].figure:<30} {name:<9} {rows[-1].rate:>10,.0f} events/s")
            continue
        for label, work in (("append", append_concurrently), ("group", group_appends)):
            appends = work(engine, store, f"{label[0]}{writers}", n, args.batch, writers)
            rows.append(await timed(f"{label} {shape}", name, n, appends))
    return [
        *rows,
        await timed(
            f"append {args.batched}/tx, 1 writer",
            name,
            args.events,
            append_streams(engine, store, "batch", range(STREAMS), args.events, args.batched),
        ),
    ]


def eventsourcing_installed() -> bool:
    try:
        import eventsourcing.postgres  # noqa: F401
    except ImportError:
        print("  (eventsourcing not installed: no baseline for appends)")
        return False
    return True


# --- relay ----------------------------------------------------------------------------


async def relay_figure(
    engine: AsyncEngine, store: EventStore, settings: kafka.KafkaSettings, name: str
) -> Row:
    topic = f"bench.{name}"
    await kafka.ensure_topics(settings, [topic])
    async with engine.connect() as conn:
        total = await store.head(conn)
    relay = OutboxRelay(engine, store, settings, topic, batch_size=RELAY_BATCH)

    async def drain() -> None:
        while await relay.publish_pending():
            pass

    try:
        return await timed(f"relay drain (batch {RELAY_BATCH})", name, total, drain())
    finally:
        await relay.close()  # the relay has no public close outside run()


async def republish_figure(
    engine: AsyncEngine, store: EventStore, name: str, port: int | None
) -> Row:
    async with engine.connect() as conn:
        total = await store.head(conn)
    with common.broker(port) as fresh:
        fresh_settings = common.settings(fresh)
        relay = OutboxRelay(engine, store, fresh_settings, f"bench.{name}", batch_size=RELAY_BATCH)

        async def republish() -> None:
            while await relay.publish_pending():  # its first connection finds another log
                pass

        try:
            return await timed("republish to fresh broker", name, total, republish())
        finally:
            await relay.close()


# --- projection -----------------------------------------------------------------------

households = Table(
    "bench_households",
    MetaData(),
    columns.household_id(primary_key=True),
    columns.county_code(nullable=False),
)
registered_households = Projection("bench.households", tables=[households])


@registered_households.on(HouseholdRegisteredV3)
async def _registered(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {"household_id": str(e.data.household_id), "county_code": e.data.county_code}
        for e in events
    ]
    await upsert(conn, households, rows, keys=["household_id"])


async def publish_registrations(settings: kafka.KafkaSettings, n: int) -> None:
    """The registry's topic, as a replay would find it: ``n`` households registered."""
    await kafka.ensure_topics(settings, [Topic.REGISTRY])
    producer = kafka.producer(settings)
    await producer.start()
    try:
        events = [household_registered(county_code="621121") for _ in range(n)]
        sent = [await producer.send(Topic.REGISTRY, e.to_json(), key=e.key) for e in events]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def projection_figure(
    engine: AsyncEngine, settings: kafka.KafkaSettings, name: str, n: int
) -> Row:
    async with engine.begin() as conn:
        await conn.run_sync(households.metadata.create_all)
    consumer = ProjectionConsumer(engine, registered_households, settings)
    return await timed("projection catch-up", name, n, consumer.catch_up())


# --- databases ------------------------------------------------------------------------


async def database_figures(
    name: str,
    database: Database,
    settings: kafka.KafkaSettings,
    args: argparse.Namespace,
) -> list[Row]:
    async with database() as url, migrated(url) as engine:
        store = EventStore(SOURCE)
        rows = await append_figures(engine, store, name, url, args)
        rows.append(await relay_figure(engine, store, settings, name))
        fresh_port = args.kafka_port and args.kafka_port + 1
        rows.append(await republish_figure(engine, store, name, fresh_port))
        rows.append(await projection_figure(engine, settings, name, args.events))
        return rows


# --- report ---------------------------------------------------------------------------


def baseline_of(row: Row, rows: list[Row]) -> Row | None:
    """The eventsourcing row with as many events per transaction and writers, for an
    append row on PostgreSQL."""
    if row.database != "postgres" or "/tx, " not in row.figure:
        return None
    shape = row.figure.split(" ", 1)[1]  # "1/tx, 8 writers"
    return next((r for r in rows if r.figure == f"eventsourcing {shape}"), None)


def print_table(rows: list[Row], raw: Row) -> None:
    header = ["figure", "database", "N", "seconds", "CPU-s", "events/s", "per CPU-s", "vs raw"]
    lines = []
    for row in rows:
        base = baseline_of(row, rows)
        versus = f"{row.rate / base.rate:.2f} / {row.cpu_rate / base.cpu_rate:.2f}" if base else ""
        figures = [row.events, row.seconds, row.cpu, row.rate, row.cpu_rate, row.rate / raw.rate]
        lines.append([row.figure, row.database, *figures, versus])
    print("\n" + common.table([*header, "vs es wall/CPU"], lines, left=2))
    print(f"load average: {common.load_average()}")


def figures(rows: list[Row], raw: Row, args: argparse.Namespace) -> dict[str, Any]:
    """As written to ``bench/results/``: each row with its rates and ratios."""
    out = []
    for row in rows:
        base = baseline_of(row, rows)
        out.append(
            asdict(row)
            | {"events_per_s": row.rate, "events_per_cpu_s": row.cpu_rate}
            | {"ratio_to_raw_produce": row.rate / raw.rate}
            | ({"ratio_to_eventsourcing": row.rate / base.rate} if base else {})
        )
    return {
        "bench": "kernel",
        "events": args.events,
        "writers": args.writers,
        "load_average_at_end": common.load_average(),
        "rows": out,
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="N (default 20000)")
    parser.add_argument(
        "--batch", type=int, default=1, help="events per transaction, figures a and a' (1)"
    )
    parser.add_argument(
        "--batched", type=int, default=100, help="events per transaction, figure b (100)"
    )
    parser.add_argument(
        "--writers",
        type=lambda text: [int(w) for w in text.split(",")],
        default=[1, 8],
        help="concurrent writers for the small appends, comma-separated (1,8)",
    )
    return common.options(parser).parse_args()


async def main(args: argparse.Namespace) -> None:
    with common.broker(args.kafka_port) as tansu:
        settings = common.settings(tansu)
        await kafka.ensure_topics(settings, ["bench.raw"])
        databases: dict[str, Database] = {"sqlite": lambda: sqlite_database(args.db_prefix)}
        if args.postgres:
            databases["postgres"] = lambda: common.postgres(args.postgres, args.db_prefix)
        print(f"Tansu on {tansu.bootstrap_servers}, N={args.events}, {STREAMS} streams")
        raw = await raw_produce(settings, "bench.raw", args.events)
        await publish_registrations(settings, args.events)
        rows = [raw]
        with context.caused_by(None, None, "bench"):  # envelopes just like raw_message's
            for name, database in databases.items():
                rows += await database_figures(name, database, settings, args)
        print_table(rows, raw)
        common.write_results(figures(rows, raw, args), args.results, f"kernel-{args.events}.json")


@asynccontextmanager
async def sqlite_database(prefix: str) -> AsyncIterator[str]:
    with common.scratch(prefix) as folder:
        yield f"sqlite+aiosqlite:///{folder}/bench.db"


if __name__ == "__main__":
    asyncio.run(main(arguments()))
