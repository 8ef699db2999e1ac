"""Reads under 20 concurrent clients: a household by id from the registry and roll-ups from
evaluation, over N households, against ``/healthz`` of the same server in the same run.

Fills both services' databases for a generated province of N households (default 10,000):
the registry through its bulk import, evaluation's households read model through the
projection's own parse and apply (``bench.fill`` says how).

Then each service runs as ``python -m tuopin_<service> serve`` (uvicorn, the production
runner) in a process of its own with its outbox relay and projections off — nothing but
the reads runs in it — and 20 aiohttp clients, each with a connection of its own, send
requests back to back for ``--seconds`` per figure (after a short warm-up): ``/healthz``
(the baseline of that server), a household by id (random ids among the filed ones), and
roll-ups of the province by city, of the largest city by county, of its largest county by
village, of the province by county as of 2016-12-31 (the historical path), and of the
province by county known at a different instant each time (after every fact generated, so
the same figures; never answered from memory: the cost of counting).

For each figure: p50 and p99 latency, requests per second, the ratio of that rate to the
server's ``/healthz`` rate, the server's CPU per request (its ``/proc`` utime + stime over
the figure) and its resident memory (now and peak). Non-2xx answers are counted and
reported. The figures go to ``bench/results/reads-<backend>-<households>.json``. Nothing is
asserted.

    .venv/bin/python -m bench.reads [--households N] [--seconds S] [--clients C]
        [--postgres URL] [--db-prefix tuopin_bench] [--kafka-port PORT] [--port-base N]
        [--results PATH] [--compare CHECKOUT]

``--postgres`` (default ``$TUOPIN_TEST_POSTGRES_URL``) fills and serves from two fresh
PostgreSQL databases named from ``--db-prefix``; without it, SQLite files in a temporary
directory. No broker is started: the servers neither relay nor consume, and ``--kafka-port``
is only the address they are configured with. The servers listen on ``--port-base`` + 1, + 2
… (default: free ports).
"""

import argparse
import asyncio
import itertools
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import common
from bench.common import percentile
from bench.fill import fill_evaluation, fill_registry
from tuopin_eventkit.messaging.broker import free_port
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer

# --- the servers ---------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str

    def cpu_seconds(self) -> float:
        return common.process_cpu_seconds(self.process.pid)

    def memory_mib(self) -> tuple[float, float]:
        """Resident now and at its peak (VmRSS, VmHWM)."""
        return common.process_memory_mib(self.process.pid)


@asynccontextmanager
async def serve(
    service: str, url: str, kafka_port: int, port: int, python: str = sys.executable
) -> AsyncIterator[Server]:
    """``python -m tuopin_<service> serve`` on a loopback port, reads only."""
    prefix = f"TUOPIN_{service.upper()}_"
    env = os.environ | {
        f"{prefix}DATABASE_URL": url,
        f"{prefix}RUN_RELAY": "false",
        f"{prefix}RUN_PROJECTIONS": "false",
        f"{prefix}MIGRATE_ON_START": "false",
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
    }
    command = [python, "-m", f"tuopin_{service}", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env)  # noqa: ASYNC220  # started once, not awaited
    server = Server(service, process, f"http://127.0.0.1:{port}")
    try:
        async with httpx.AsyncClient(base_url=server.base) as client:
            for _ in range(300):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}")
                await asyncio.sleep(0.1)
        yield server
    finally:
        process.terminate()
        process.wait(10)


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Figure:
    server: str
    code: str  # "this" checkout, or the one compared with
    name: str
    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float
    per_s: float
    cpu_ms_per_request: float
    client_cpu_ms_per_request: float
    rss_mib: float
    peak_rss_mib: float
    ratio_to_healthz: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)


async def hammer(
    server: Server, code: str, name: str, paths: Callable[[], str], clients: int, seconds: float
) -> Figure:
    """``clients`` clients sending back to back for ``seconds`` after a warm-up."""
    headers = bearer(AuthSettings(), ADMIN)
    latencies: list[float] = []
    statuses: dict[str, int] = {}

    async def client(deadline: float, keep: bool) -> None:
        async with common.http_client(server.base, headers, connections=1) as c:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with c.get(paths()) as answer:
                    await answer.read()
                if keep:
                    latencies.append(time.perf_counter() - started)
                    statuses[str(answer.status)] = statuses.get(str(answer.status), 0) + 1

    warm = time.perf_counter() + min(2.0, seconds / 5)
    await asyncio.gather(*(client(warm, False) for _ in range(clients)))
    cpu, mine, started = server.cpu_seconds(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(client(started + seconds, True) for _ in range(clients)))
    wall, cpu = time.perf_counter() - started, server.cpu_seconds() - cpu
    mine = time.process_time() - mine
    rss, peak = server.memory_mib()
    n, ok = len(latencies), sum(v for k, v in statuses.items() if k.startswith("2"))
    figure = Figure(
        server.name,
        code,
        name,
        n,
        n - ok,
        wall,
        round(percentile(latencies, 0.5) * 1000, 1),
        round(percentile(latencies, 0.99) * 1000, 1),
        round(n / wall, 1),
        round(cpu / n * 1000, 2),
        round(mine / n * 1000, 2),
        round(rss, 1),
        round(peak, 1),
        statuses=statuses,
    )
    print(f"  {line(figure)}", flush=True)
    return figure


HEADING = (
    f"{'server':<11} {'code':<6} {'figure':<34} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
    f"{'req/s':>8} {'vs healthz':>10} {'CPU ms/req':>10} {'client':>6} {'RSS MiB':>8} "
    f"{'peak':>6} {'failed':>6}"
)


def line(f: Figure) -> str:
    ratio = "" if f.ratio_to_healthz is None else f"{f.ratio_to_healthz:.3f}"
    return (
        f"{f.server:<11} {f.code:<6} {f.name:<34} {f.requests:>8,} {f.p50_ms:>8.1f} "
        f"{f.p99_ms:>8.1f} {f.per_s:>8,.1f} {ratio:>10} {f.cpu_ms_per_request:>10.2f} "
        f"{f.client_cpu_ms_per_request:>6.2f} {f.rss_mib:>8.0f} "
        f"{f.peak_rss_mib:>6.0f} {f.failed:>6}"
    )


async def measure(
    servers: dict[str, tuple[Server, Server]],
    ids: list[str],
    where: dict[str, str],
    clients: int,
    seconds: float,
) -> list[Figure]:
    """Each figure on each code in turn (interleaved, so that a shared machine's load
    drifts alike for both), each server's /healthz first."""
    rng, instants = random.Random(15), itertools.count()
    city, county = where["city"], where["county"]
    asked = [
        [("household by id", lambda: f"/v1/households/{rng.choice(ids)}")],
        [
            ("roll-ups province by city", lambda: "/v1/rollups?region=620000&level=city"),
            ("roll-ups city by county", lambda: f"/v1/rollups?region={city}&level=county"),
            ("roll-ups county by village", lambda: f"/v1/rollups?region={county}&level=village"),
            (
                "roll-ups province as of 2016-12-31",
                lambda: "/v1/rollups?region=620000&level=county&as_of=2016-12-31",
            ),
            # A different instant each time: never answered from memory.
            (
                "roll-ups province, cold (known_at)",
                lambda: (
                    "/v1/rollups?region=620000&level="
                    f"county&known_at=2025-01-01T00:00:00.{next(instants):06d}Z"
                ),
            ),
        ],
    ]
    figures = []
    for side, targets in enumerate(asked):
        baselines = {}
        for name, path in [("/healthz", lambda: "/healthz"), *targets]:
            for code, pair in servers.items():
                figure = await hammer(pair[side], code, name, path, clients, seconds)
                if name == "/healthz":
                    baselines[code] = figure
                else:
                    figure.ratio_to_healthz = round(figure.per_s / baselines[code].per_s, 3)
                figures.append(figure)
    return figures


# --- the run -------------------------------------------------------------------------------


@contextmanager
def timed(what: str) -> Iterator[None]:
    with common.measured() as took:
        yield
    print(f"  {what}: {took.seconds:,.1f} s wall, {took.cpu_seconds:,.1f} CPU-s", flush=True)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load = common.load_average()
    ports = itertools.count(args.port_base + 1) if args.port_base else None
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(common.scratch(args.db_prefix)))
        if args.postgres:
            urls = [
                await stack.enter_async_context(common.postgres(args.postgres, args.db_prefix, n))
                for n in ("registry", "evaluation")
            ]
        else:
            urls = [f"sqlite+aiosqlite:///{folder / n}.db" for n in ("registry", "evaluation")]
        print(f"filling {args.households:,} households", flush=True)
        with timed("registry filled"):
            ids = await fill_registry(urls[0], args.households, folder)
        with timed("evaluation filled"):
            where = await fill_evaluation(urls[1], args.households)
        pythons = {"this": sys.executable}
        if args.compare:
            pythons["other"] = str(args.compare / ".venv" / "bin" / "python")
        servers = {
            code: tuple(
                [
                    await stack.enter_async_context(
                        serve(name, url, args.kafka_port, next(ports) if ports else free_port(), py)
                    )
                    for name, url in zip(("registry", "evaluation"), urls, strict=True)
                ]
            )
            for code, py in pythons.items()
        }
        print(f"{args.clients} clients, {args.seconds:g} s a figure\n  {HEADING}", flush=True)
        figures = await measure(servers, ids, where, args.clients, args.seconds)
    return {
        "bench": "reads",
        "backend": "postgresql" if args.postgres else "sqlite",
        "households": args.households,
        "clients": args.clients,
        "seconds_per_figure": args.seconds,
        "regions": where,
        "compared_with": None if args.compare is None else commit(args.compare),
        "load_average": {"before": load, "after": common.load_average()},
        "figures": [asdict(f) for f in figures],
    }


def commit(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="per figure")
    parser.add_argument("--port-base", type=int, help="servers on base+1, +2 … (default: free)")
    common.options(parser, kafka_port="configured, not started (9092)")
    parser.add_argument(
        "--compare",
        type=Path,
        help="another checkout (with its .venv) whose services are measured on the same "
        "databases, figure by figure with this one's",
    )
    return parser.parse_args()


def main() -> None:
    args = arguments()
    args.kafka_port = args.kafka_port or 9092
    result = asyncio.run(run(args))
    print(f"\n{HEADING}")
    for figure in result["figures"]:
        print(line(Figure(**figure)))
    before, after = result["load_average"]["before"][0], result["load_average"]["after"][0]
    print(
        f"\n{result['backend']}, {args.households:,} households; CPU ms/req: the server "
        f"process's utime + stime over the figure per request (client: the same of the 20 "
        f"clients' process, this one); vs healthz: req/s over the same "
        f"server's /healthz; load average {before:.2f} before, {after:.2f} after"
    )
    default = f"reads-{result['backend']}-{args.households}.json"
    common.write_results(result, args.results, default)


if __name__ == "__main__":
    main()
