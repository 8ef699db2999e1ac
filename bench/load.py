"""Open-loop load on the whole system: households registered at a fixed rate over HTTP,
each timed from sent to accepted (201) and to counted in evaluation's read model.

Starts the four services and a Tansu broker as ``tuopin up`` does (loopback only, ports
from ``--port-base``, the broker's ``--kafka-port`` if given), on SQLite files or, with
``--postgres``, on fresh PostgreSQL databases ``<db-prefix>_<service>_<random>``, dropped
after. Requests leave on a fixed schedule whatever the
answers do (open loop: a slow system gets a queue, not a politer client) for ``--seconds``.

End to end is measured by looking for the accepted households in evaluation's database
every 20 ms (the latency's resolution); the bench never writes there.

Baseline in the same run: raw aiokafka produce → consume of the same number of
~1 KB messages at the same rate on the same broker, each timed from send to receipt.

At the end it checks the cross-service invariants — every accepted household is stored
once in the registry, counted once by evaluation and known to loans and training — and
prints the figures (latencies, accepted rate, each process's CPU per registration, each
service's peak memory) and writes them as JSON (``--results``, by default
``bench/results/load-<backend>-<rate>.json``). Nothing is asserted about speed; it exits
non-zero if an invariant fails.

    .venv/bin/python -m bench.load --rate 50 --seconds 30 [--postgres URL] [--sqlite]
        [--port-base N] [--kafka-port PORT] [--db-prefix tuopin_bench] [--results PATH]
"""

import argparse
import asyncio
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from stdnum.cn import ric

from bench import common
from bench.common import percentile
from tuopin_cli.stack import Stack, broker_port, service_ports
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.messaging.kafka import KafkaSettings
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer

VILLAGES = ["621121100201", "620102001001", "623021200101", "621122100101"]
TICK = 0.02


def resident_id(i: int, k: int) -> str:
    """The k-th member of household i: unique by birth date and serial."""
    birth = date(1940, 1, 1) + timedelta(days=(i * 5 + k) % 25_000)
    serial = (i * 5 + k) // 25_000 % 999 + 1
    body = f"620102{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def filing(run: str, i: int) -> dict[str, Any]:
    village = VILLAGES[i % len(VILLAGES)]
    members = [{"name": f"户主{i}", "id_number": resident_id(i, 0), "relation": "head"}] + [
        {"name": f"子女{i}-{k}", "id_number": resident_id(i, k), "relation": "child"}
        for k in range(1, 1 + i % 4)
    ]
    return {
        "file_number": f"{run}-{i:06d}",
        "county_code": village[:6],
        "village_code": village,
        "poverty_attribute": "general",
        "primary_cause": "illness",
        "identified_year": 2016,
        "effective_date": "2016-04-01",
        "members": members,
    }


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values, default=float("nan")) * 1000, 1),
    }


@dataclass
class Sent:
    at: float
    accepted: float | None = None
    counted: float | None = None
    household_id: str | None = None
    status: int | None = None


@dataclass
class Run:
    sent: list[Sent] = field(default_factory=list)
    done: bool = False


async def drive(registry: str, rate: float, seconds: float, run: Run) -> None:
    """Send on the schedule; answers are awaited by their own tasks."""
    name = uuid.uuid4().hex[:8]
    headers = bearer(AuthSettings(), ADMIN)
    async with common.http_client(registry, headers, connections=500) as client:

        async def post(i: int, sent: Sent) -> None:
            key = {"Idempotency-Key": f"{name}-{i}"}
            try:
                async with client.post(
                    "/v1/households", json=filing(name, i), headers=key
                ) as answer:
                    sent.status = answer.status
                    if answer.status == 201:
                        sent.accepted = time.perf_counter()
                        sent.household_id = (await answer.json())["household_id"]
            except (aiohttp.ClientError, TimeoutError):
                sent.status = 0

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            sent = Sent(at=time.perf_counter())
            run.sent.append(sent)
            tasks.append(asyncio.create_task(post(i, sent)))
        await asyncio.gather(*tasks)
    run.done = True


async def watch(evaluation_url: str, run: Run, patience: float = 60.0) -> None:
    """Mark each accepted household counted when evaluation's read model holds it."""
    engine = create_engine(evaluation_url)
    deadline: float | None = None
    try:
        while True:
            waiting = {s.household_id: s for s in run.sent if s.household_id and not s.counted}
            if run.done and not waiting:
                return
            if run.done and deadline is None:
                deadline = time.perf_counter() + patience
            if deadline is not None and time.perf_counter() > deadline:
                return
            ids = list(waiting)[:2000]
            if ids:
                async with engine.connect() as conn:
                    marks = ",".join(f"'{i}'" for i in ids)  # uuids the registry issued
                    rows = await conn.execute(
                        text(f"SELECT household_id FROM households WHERE household_id IN ({marks})")
                    )
                    seen = time.perf_counter()
                    for (household_id,) in rows:
                        waiting[household_id].counted = seen
                    await conn.rollback()
            await asyncio.sleep(TICK)
    finally:
        await engine.dispose()


async def raw_baseline(bootstrap: str, rate: float, count: int) -> list[float]:
    """Produce → consume latency of plain ~1 KB messages at the same rate, the consumer
    polling as the services' do (``fetch_max_wait_ms``: Tansu waits it out)."""
    topic = f"bench.load.{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=KafkaSettings().fetch_max_wait_ms,
    )
    await producer.start()
    await producer.send_and_wait(topic, b"warm-up")
    await consumer.start()
    sent: dict[int, float] = {}
    latencies: list[float] = []

    async def consume() -> None:
        async for record in consumer:
            if record.value == b"warm-up":
                continue
            i = int(record.value.split(b"|", 1)[0])
            latencies.append(time.perf_counter() - sent[i])
            if len(latencies) == count:
                return

    reader = asyncio.create_task(consume())
    start = time.perf_counter()
    pad = b"x" * 1000
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent[i] = time.perf_counter()
        await producer.send(topic, f"{i}|".encode() + pad)
    await asyncio.wait_for(reader, 60)
    await producer.stop()
    await consumer.stop()
    return latencies


async def invariants(stack: Stack, accepted: int, patience: float = 60) -> dict[str, bool]:
    """Each checked until it holds or ``patience`` runs out: consumers apply at their pace."""
    deadline = time.perf_counter() + patience
    while True:
        checks = await _invariants(stack, accepted)
        if all(checks.values()) or time.perf_counter() > deadline:
            return checks
        await asyncio.sleep(1)


async def _invariants(stack: Stack, accepted: int) -> dict[str, bool]:
    headers = bearer(AuthSettings(), ADMIN)
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        head = (await client.get(f"{stack.url('registry')}/v1/events?limit=1")).json()["head"]
        stats = (await client.get(f"{stack.url('evaluation')}/v1/stats")).json()
        applied = {}
        for service, consumer in (
            ("loans", "loans.borrower_households"),
            ("training", "training.trainee_households"),
        ):
            metrics = (await client.get(f"{stack.url(service)}/metrics")).text
            label = f'tuopin_events_consumed_total{{consumer="{consumer}",outcome="applied"}}'
            line = next((m for m in metrics.splitlines() if m.startswith(label)), "nan")
            applied[service] = float(line.rsplit(" ", 1)[-1])
    return {
        "registry stored each accepted household once": head == accepted,
        "evaluation counted each once": stats["total_households"] == accepted,
        **{f"{s} applied each registration once": n == accepted for s, n in applied.items()},
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    async with AsyncExitStack() as databases:
        var = Path(databases.enter_context(common.scratch(args.db_prefix)))
        ports = service_ports(args.port_base)
        kafka_port = args.kafka_port or broker_port(args.port_base)
        stack = Stack(var=var, kafka_port=kafka_port, ports=ports)
        if args.postgres:
            stack.database_urls = {
                service: await databases.enter_async_context(
                    common.postgres(args.postgres, args.db_prefix, service)
                )
                for service in ports
            }
        return await measure(stack, args)


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, Any]:
    ports, var = stack.ports, stack.var
    try:
        await asyncio.to_thread(stack.start_broker)
        for service in ports:
            await asyncio.to_thread(stack.start, service)
        for service in ports:  # generous: other work may share the machine
            await asyncio.to_thread(stack.wait_ready, service, 300)
        bootstrap = f"127.0.0.1:{stack.kafka_port}"
        count = int(args.rate * args.seconds)
        raw = await raw_baseline(bootstrap, args.rate, count)
        assert stack.kafka is not None
        pids = {"kafka": stack.kafka.process.pid, **{s: p.pid for s, p in stack.processes.items()}}
        cpu_before, wall_before = _cpu(pids), time.perf_counter()
        run = Run()
        evaluation_db = stack.database_urls.get(
            "evaluation", f"sqlite+aiosqlite:///{var / 'evaluation.db'}"
        )
        await asyncio.gather(
            drive(stack.url("registry"), args.rate, args.seconds, run), watch(evaluation_db, run)
        )
        wall = time.perf_counter() - wall_before
        cpu = {name: spent - cpu_before[name] for name, spent in _cpu(pids).items()}
        ok = [s for s in run.sent if s.accepted]
        counted = [s.counted - s.at for s in ok if s.counted]
        last_accept = max((s.accepted for s in ok), default=wall_before)
        accepted_rate = len(ok) / (last_accept - run.sent[0].at) if ok else 0.0
        checks = await invariants(stack, len(ok))
        figures = {
            "backend": "postgresql" if args.postgres else "sqlite",
            "offered_per_s": args.rate,
            "seconds": args.seconds,
            "sent": len(run.sent),
            "accepted": len(ok),
            "refused_or_failed": len(run.sent) - len(ok),
            "accepted_per_s": round(accepted_rate, 1),
            "http": summary([s.accepted - s.at for s in ok]),
            "end_to_end": {**summary(counted), "counted": len(counted)},
            "raw_produce_consume": summary(raw),
            "e2e_p99_over_raw_p99": round(percentile(counted, 0.99) / percentile(raw, 0.99), 2),
            "registry_cpu_ms_per_registration": round(cpu["registry"] * 1000 / max(1, len(ok)), 2),
            "registry_cpu_s": round(cpu["registry"], 2),
            "cpu_ms_per_registration": {
                name: round(spent * 1000 / max(1, len(ok)), 2) for name, spent in cpu.items()
            },
            "wall_s": round(wall, 2),
            "peak_mib": {
                s: round(common.process_memory_mib(p.pid)[1], 1) for s, p in stack.processes.items()
            },
            "load_average": common.load_average(),
            "invariants": checks,
        }
        return figures
    finally:
        await asyncio.to_thread(stack.down)


def _cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds each process of the stack has spent: where a registration's cost lands,
    the consumers' and the broker's included."""
    return {name: common.process_cpu_seconds(pid) for name, pid in pids.items()}


def report(figures: dict[str, Any]) -> None:
    f = figures
    print(f"\n{f['backend']}: {f['sent']} registrations offered at {f['offered_per_s']}/s")
    print(
        f"  accepted {f['accepted']} ({f['refused_or_failed']} refused or failed), "
        f"{f['accepted_per_s']}/s"
    )
    for name in ("http", "end_to_end", "raw_produce_consume"):
        s = f[name]
        print(
            f"  {name:<20} p50 {s['p50_ms']:>8} ms  p99 {s['p99_ms']:>8} ms  "
            f"max {s['max_ms']:>8} ms"
        )
    print(f"  end-to-end p99 / raw p99: {f['e2e_p99_over_raw_p99']}")
    per = ", ".join(f"{name} {ms}" for name, ms in f["cpu_ms_per_registration"].items())
    print(f"  CPU per registration (ms): {per}")
    print(f"  peak memory (MiB): {f['peak_mib']}; load average {f['load_average']}")
    for check, held in f["invariants"].items():
        print(f"  {'ok ' if held else 'FAILED'} {check}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--sqlite", action="store_true", help="ignore --postgres")
    parser.add_argument("--port-base", type=int, default=18000, help="services on base+1 … +4")
    args = common.options(parser, kafka_port="the broker's port (default: from --port-base)")
    args = args.parse_args()
    if args.sqlite:
        args.postgres = None
    figures = asyncio.run(main(args))
    report(figures)
    common.write_results(figures, args.results, f"load-{figures['backend']}-{int(args.rate)}.json")
    if not all(figures["invariants"].values()):
        raise SystemExit(1)
