"""What every bench shares: its command-line options (broker port, database name prefix,
results file), the broker and the throwaway databases it measures on, the CPU and memory
it reads, the JSON it writes under ``bench/results/`` and the tables it prints.

Rates are per CPU-second of the measured process (steady on a shared machine) as well as
per wall second, each against a baseline measured in the same run; the load average goes
with every result so that a noisy run can be told from a slow change.
"""

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from tuopin_eventkit.messaging import broker as tansu
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.testing import fresh_postgres_database

RESULTS = Path(__file__).parent / "results"
DB_PREFIX = "tuopin_bench"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# --- options -------------------------------------------------------------------------------


FREE_PORT = "Tansu's port (default: a free one)"


def options(
    parser: argparse.ArgumentParser, *, kafka_port: str | None = FREE_PORT
) -> argparse.ArgumentParser:
    """The options every bench takes: ``--postgres``, ``--db-prefix``, ``--results`` and,
    where it talks to a broker, ``--kafka-port`` (``kafka_port`` is its help; None: none)."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TUOPIN_TEST_POSTGRES_URL"),
        help="PostgreSQL server URL (default: $TUOPIN_TEST_POSTGRES_URL; else SQLite only)",
    )
    parser.add_argument(
        "--db-prefix",
        default=DB_PREFIX,
        help=f"start of the names of its throwaway databases and folders ({DB_PREFIX})",
    )
    parser.add_argument("--results", type=Path, help="where to write the figures as JSON")
    if kafka_port:
        parser.add_argument("--kafka-port", type=int, help=kafka_port)
    return parser


def http_client(base: str, headers: dict[str, str], connections: int) -> aiohttp.ClientSession:
    """The benches' HTTP client. aiohttp, not httpx: the clients share the machine's two
    cores with the servers they measure, and httpx spent 2.5–2.9 CPU-ms a request (more
    than a household read's server side) where aiohttp spends 0.3."""
    return aiohttp.ClientSession(
        base_url=base,
        headers=headers,
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=120),
    )


# --- broker and databases ------------------------------------------------------------------


@contextmanager
def broker(port: int | None = None) -> Iterator[tansu.Tansu]:
    """A Tansu broker of the bench's own on ``port`` (a free one if None), stopped after."""
    started = tansu.start(port)
    try:
        yield started
    finally:
        started.stop()


def settings(broker: tansu.Tansu) -> kafka.KafkaSettings:
    return kafka.KafkaSettings(bootstrap_servers=broker.bootstrap_servers)


def postgres(server: str, prefix: str, name: str = "") -> AbstractAsyncContextManager[str]:
    """A fresh PostgreSQL database ``<prefix>[_<name>]_<random>``, dropped after."""
    return fresh_postgres_database(server, prefix=f"{prefix}_{name}" if name else prefix)


@asynccontextmanager
async def sqlite(folder: Path, name: str) -> Any:
    """A SQLite file in ``folder`` (a ``scratch`` folder, removed with it)."""
    yield f"sqlite+aiosqlite:///{folder / name}"


def scratch(prefix: str) -> "tempfile.TemporaryDirectory[str]":
    """A temporary folder named from the prefix: files, SQLite databases, profiles."""
    return tempfile.TemporaryDirectory(prefix=f"{prefix}_")


# --- CPU and memory ------------------------------------------------------------------------


@dataclass
class Measured:
    seconds: float = 0.0  # wall
    cpu_seconds: float = 0.0  # of this process, every thread


@contextmanager
def measured() -> Iterator[Measured]:
    """Wall and CPU seconds of the block (filled in when it ends)."""
    result = Measured()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield result
    finally:
        result.seconds = time.perf_counter() - wall
        result.cpu_seconds = time.process_time() - cpu


def peak_rss_mib() -> float:
    """This process's peak resident set (ru_maxrss: KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """This process's resident memory now (not its peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def process_cpu_seconds(pid: int) -> float:
    """Another process's CPU so far: utime + stime from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def backends_cpu_seconds(conn: Any) -> dict[int, float] | None:
    """The CPU each PostgreSQL backend serving this connection's database has used so far,
    by pid, when the server runs on this machine (else None): the server's share of a
    figure, which the measuring process's own CPU leaves out."""
    pids = (
        await conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )
    ).scalars()
    try:
        return {pid: process_cpu_seconds(pid) for pid in pids}
    except OSError:  # another machine's, or gone
        return None


def process_memory_mib(pid: int) -> tuple[float, float]:
    """Another process's resident memory now and at its peak (VmRSS, VmHWM); NaN if gone."""
    found = dict.fromkeys(("VmRSS", "VmHWM"), float("nan"))
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in found:
                found[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return found["VmRSS"], found["VmHWM"]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- results -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": platform.python_version()}


def write_results(figures: dict[str, Any], path: Path | None, default: str) -> Path:
    """``figures`` with the machine and the time, as JSON at ``path`` (default
    ``bench/results/<default>``); the path written."""
    out = path or RESULTS / default
    out.parent.mkdir(parents=True, exist_ok=True)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    stamped = {**figures, "at": at, "machine": machine()}
    out.write_text(json.dumps(stamped, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"figures written to {out}", flush=True)
    return out


def stamp() -> str:
    """A results file name's time: sorts in order, safe in a path."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


# --- tables --------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], left: int = 1) -> str:
    """Columns as wide as their widest cell; the first ``left`` columns flush left, the
    others (figures) flush right. Floats get thousands separators and fitting decimals."""
    cells = [list(header), *([cell(v) for v in row] for row in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if i < left else v.rjust(w)
            for i, (v, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return (
            f"{value:.3f}"
            if abs(value) < 1
            else f"{value:.2f}"
            if abs(value) < 10
            else f"{value:.1f}"
        )
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
