"""Every figure of the performance issue in one run and one table, each with its baseline
measured in the same run, its ratio, and the change since the previous run's results.

Runs the benches one after another, each in a process of its own with its own command
line (``bench.evaluation_rebuild``, ``bench.registry_import``, ``bench.kernel``,
``bench.load``, ``bench.reads``), every one on the same ``--kafka-port``, with databases
and folders named from ``--db-prefix`` and on ``--postgres`` when given. Each bench's
output goes to ``var/bench/<bench>.log`` and its own figures to ``var/bench/<bench>.json``;
the suite takes from them:

- evaluation rebuild, events per CPU-second, against raw aiokafka consume + envelope parse;
- registry bulk import, file rows per CPU-second, against the raw bulk load of its rows;
- kernel append, one event per transaction, 1 and N writers (and through group commit),
  events per second, against the ``eventsourcing`` library on the same database; the relay
  against raw aiokafka produce;
- registry writes over HTTP at a fixed rate, end to end (sent → counted in evaluation)
  p50 and p99, against raw produce → consume at the same rate;
- a household by id (p99) and evaluation's roll-ups (p50) under concurrent clients,
  against ``/healthz`` of the same server (requests per second);

and, for each bench, the CPU-seconds of all its processes, its wall time and its peak
memory; the load average is sampled throughout. The table is written as JSON to
``bench/results/bench-<time>.json`` (``--results``), and compared with the newest earlier
``bench-*.json`` there (``--previous``). Nothing is asserted; the exit status is non-zero
if a bench failed.

    .venv/bin/python -m bench.suite [--households 10000] [--events 20000] [--rate 50]
        [--seconds 30] [--read-seconds 10] [--clients 20] [--postgres URL]
        [--kafka-port PORT] [--port-base 18000] [--db-prefix tuopin_bench]
        [--only rebuild,import,kernel,load,reads] [--results PATH] [--previous PATH]
"""

import argparse
import json
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import common

LOGS = Path(__file__).parent.parent / "var" / "bench"
Row = dict[str, Any]


# --- the benches ---------------------------------------------------------------------------


def commands(args: argparse.Namespace) -> dict[str, list[str]]:
    """Each bench's own command line, at the suite's sizes and on its port and prefix."""
    kafka = ["--kafka-port", str(args.kafka_port)] if args.kafka_port else []
    households = ["--households", str(args.households)]
    benches = {
        "rebuild": ["bench.evaluation_rebuild", *households, *kafka],
        "import": ["bench.registry_import", *households],
        "kernel": ["bench.kernel", "--events", str(args.events), *kafka],
        "load": [
            *("bench.load", "--rate", str(args.rate), "--seconds", str(args.seconds)),
            *("--port-base", str(args.port_base), *kafka),
            *([] if args.postgres else ["--sqlite"]),
        ],
        "reads": [
            *("bench.reads", *households, "--seconds", str(args.read_seconds)),
            *("--clients", str(args.clients), "--port-base", str(args.port_base + 10), *kafka),
        ],
    }
    shared = ["--db-prefix", args.db_prefix]
    if args.postgres:
        shared += ["--postgres", args.postgres]
    return {
        name: [sys.executable, "-m", *command, *shared, "--results", str(LOGS / f"{name}.json")]
        for name, command in benches.items()
        if name in args.only
    }


def run(name: str, command: list[str]) -> dict[str, Any]:
    """One bench, its output to its log: its figures, CPU-seconds (of every process it
    started and waited for), wall time and exit status."""
    log = LOGS / f"{name}.log"
    (LOGS / f"{name}.json").unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with common.measured() as took, log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    path = LOGS / f"{name}.json"
    result = json.loads(path.read_text()) if path.exists() else None
    status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
    print(
        f"  {name:<8} {status:<7} {took.seconds:>6.0f} s wall {cpu:>6.0f} CPU-s  log {log}",
        flush=True,
    )
    return {"result": result, "cpu_s": cpu, "wall_s": took.seconds, "status": status}


class LoadSampler(threading.Thread):
    """The one-minute load average every few seconds while the benches run."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every, self.samples, self.done = every, [common.load_average()[0]], threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append(common.load_average()[0])

    def summary(self) -> dict[str, float]:
        s = self.samples
        return {"min": min(s), "mean": round(sum(s) / len(s), 2), "max": max(s), "end": s[-1]}


# --- the figures ---------------------------------------------------------------------------


def row(key: str, figure: str, value: float, unit: str, **more: Any) -> Row:
    """One line of the table: ``value`` in ``unit``, against ``baseline`` (a name) measured
    at ``base`` in the same run; ``ratio`` as the bench defines it; ``p50_ms``, ``p99_ms``,
    ``cpu_s``, ``wall_s``, ``rss_mib`` (peak) and ``note`` where known."""
    return {"key": key, "figure": figure, "value": value, "unit": unit, **more}


def rebuild_rows(r: dict[str, Any]) -> list[Row]:
    base = r["runs"]["consume + parse"]
    return [
        row(
            f"rebuild.{name}",
            f"rebuild evaluation, {name}",
            run["events_per_cpu_s"],
            "events/CPU-s",
            baseline="consume + parse",
            base=base["events_per_cpu_s"],
            ratio=run["ratio_to_consume_parse"],
            cpu_s=run["cpu_seconds"],
            wall_s=run["seconds"],
            rss_mib=run["peak_rss_mib"],
            note=f"{r['households']:,} households, {r['events']:,} events" + server_note(run),
        )
        for name, run in r["runs"].items()
        if name != "consume + parse"
    ]


def server_note(run: dict[str, Any]) -> str:
    server = run.get("server_cpu_seconds")
    return "" if server is None else f"; PostgreSQL's CPU {server:,.1f} s more"


def import_rows(r: dict[str, Any]) -> list[Row]:
    raw = {run["database"]: run for run in r["runs"] if run["what"] == "raw bulk load"}
    return [
        row(
            f"import.{run['database']}.{run['what'].replace(' ', '_')}",
            f"bulk import, {run['database']}" + (", again" if run["what"] == "again" else ""),
            run["rows_per_cpu_second"],
            "rows/CPU-s",
            baseline="raw bulk load",
            base=raw[run["database"]]["rows_per_cpu_second"],
            ratio=run["ratio_to_raw"],
            cpu_s=run["cpu"],
            wall_s=run["wall"],
            rss_mib=run["rss_last_mib"],
            note=f"{r['households']:,} households, {run['rows']:,} rows",
        )
        for run in r["runs"]
        if run["what"] != "raw bulk load"
    ]


def kernel_rows(r: dict[str, Any]) -> list[Row]:
    rows, databases = r["rows"], {x["database"] for x in r["rows"]}
    database = "postgres" if "postgres" in databases else "sqlite"
    raw = next(x for x in rows if x["figure"].startswith("raw produce"))
    found = []
    for x in rows:
        appends = x["figure"].startswith(("append 1/tx", "group 1/tx"))
        if x["database"] != database or not (appends or x["figure"].startswith("relay")):
            continue
        baseline = f"eventsourcing {x['figure'].split(' ', 1)[1]}" if appends else raw["figure"]
        base = next((b for b in rows if b["figure"] == baseline), None)
        found.append(
            row(
                f"kernel.{database}.{x['figure']}",
                f"kernel {x['figure'].replace(' (batch 1000)', '')}, {database}",
                x["events_per_s"],
                "events/s",
                baseline=baseline.split(",")[0].replace(" (325 B)", "") if base else None,
                base=base and base["events_per_s"],
                ratio=x.get("ratio_to_eventsourcing") if appends else x["ratio_to_raw_produce"],
                cpu_s=x["cpu"],
                wall_s=x["seconds"],
                note=f"{x['events']:,} events",
            )
        )
    return found


def load_rows(r: dict[str, Any]) -> list[Row]:
    e2e, raw = r["end_to_end"], r["raw_produce_consume"]
    held = "held" if all(r["invariants"].values()) else "FAILED"
    spent = r["cpu_ms_per_registration"].items()
    per_process = ", ".join(f"{name} {ms}" for name, ms in spent)
    return [
        row(
            f"load.{r['backend']}.e2e",
            f"HTTP writes {r['offered_per_s']:g}/s e2e p99, {r['backend']}",
            e2e["p99_ms"],
            "ms",
            baseline="produce→consume p99",
            base=raw["p99_ms"],
            ratio=r["e2e_p99_over_raw_p99"],
            p50_ms=e2e["p50_ms"],
            p99_ms=e2e["p99_ms"],
            cpu_s=r["registry_cpu_s"],
            wall_s=r["wall_s"],
            rss_mib=max(r["peak_mib"].values()),
            note=f"{r['accepted_per_s']}/s accepted; HTTP p99 {r['http']['p99_ms']} ms; "
            f"CPU-ms a registration: {per_process} (CPU-s: the registry's); invariants {held}",
        )
    ]


def reads_rows(r: dict[str, Any]) -> list[Row]:
    this = [f for f in r["figures"] if f["code"] == "this"]
    healthz = {f["server"]: f for f in this if f["name"] == "/healthz"}
    return [
        row(
            f"reads.{r['backend']}.{f['name']}",
            f"{f['name'].replace('roll-ups ', 'roll-ups: ')}, {r['backend']}",
            f["per_s"],
            "req/s",
            baseline="/healthz",
            base=healthz[f["server"]]["per_s"],
            ratio=f["ratio_to_healthz"],
            p50_ms=f["p50_ms"],
            p99_ms=f["p99_ms"],
            cpu_s=round(f["cpu_ms_per_request"] * f["requests"] / 1000, 2),
            wall_s=f["seconds"],
            rss_mib=f["peak_rss_mib"],
            note=f"{r['households']:,} households, {r['clients']} clients; CPU-s: the server's"
            + (f"; {f['failed']} FAILED" if f["failed"] else ""),
        )
        for f in this
        if f["name"] != "/healthz"
    ]


FIGURES: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "rebuild": rebuild_rows,
    "import": import_rows,
    "kernel": kernel_rows,
    "load": load_rows,
    "reads": reads_rows,
}


# --- the table -----------------------------------------------------------------------------


def previous_results(args: argparse.Namespace) -> tuple[str, dict[str, Row]]:
    """What the previous results file was (its path and sizes) and its figures by key."""
    path = args.previous
    if path is None:
        earlier = sorted(common.RESULTS.glob("bench-*.json"))
        path = earlier[-1] if earlier else None
    if path is None or not path.exists():
        return "none", {}
    found = json.loads(path.read_text())
    sizes = ", ".join(f"{k} {v:g}" for k, v in found["sizes"].items())
    return f"{path} ({found['backend']}; {sizes})", {r["key"]: r for r in found["figures"]}


def print_table(rows: list[Row], before: dict[str, Row]) -> None:
    header = ["figure", "measured", "unit", "baseline", "base", "ratio", "p50 ms", "p99 ms"]
    header += ["CPU-s", "wall s", "MiB", "previous", "ratio before", "ratio change"]
    lines = []
    for r in rows:
        old = before.get(r["key"], {})
        change = None
        if r.get("ratio") and old.get("ratio"):
            change = f"{r['ratio'] / old['ratio'] - 1:+.0%}"
        lines.append(
            [r["figure"], r["value"], r["unit"], r.get("baseline"), r.get("base"), r.get("ratio")]
            + [r.get(k) for k in ("p50_ms", "p99_ms", "cpu_s", "wall_s", "rss_mib")]
            + [old.get("value"), old.get("ratio"), change]
        )
    print(common.table(header, lines, left=1))
    notes: dict[str, list[str]] = {}
    for r in rows:
        if r.get("note"):
            notes.setdefault(r["note"], []).append(r["figure"])
    for note, figures in notes.items():
        print(f"  {'; '.join(figures)}: {note}")
    print(
        "ratio change: against the previous results' ratio; a rise is better for rates (over"
        " their baseline's), worse for the HTTP writes' latency (over its baseline's)"
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10_000, help="rebuild, import, reads")
    parser.add_argument("--events", type=int, default=20_000, help="kernel (N)")
    parser.add_argument("--rate", type=float, default=50, help="load: registrations a second")
    parser.add_argument("--seconds", type=float, default=30, help="load: how long")
    parser.add_argument("--read-seconds", type=float, default=10, help="reads: per figure")
    parser.add_argument("--clients", type=int, default=20, help="reads: concurrent clients")
    parser.add_argument("--port-base", type=int, default=18000, help="load: base+1…4; reads +11…")
    parser.add_argument("--only", default=",".join(FIGURES), help="benches, comma-separated")
    parser.add_argument("--previous", type=Path, help="results to compare with (the newest)")
    args = common.options(parser, kafka_port="every bench's broker port (default: free ones)")
    args = args.parse_args()
    args.only = args.only.split(",")
    return args


def main() -> None:
    args = arguments()
    LOGS.mkdir(parents=True, exist_ok=True)
    previous, before = previous_results(args)
    sampler = LoadSampler()
    sampler.start()
    print(f"benches {', '.join(args.only)}; logs in {LOGS}", flush=True)
    with common.measured() as took:
        runs = {name: run(name, command) for name, command in commands(args).items()}
    sampler.done.set()
    rows = [r for name, x in runs.items() if x["result"] for r in FIGURES[name](x["result"])]
    cpu = sum(x["cpu_s"] for x in runs.values())
    load = sampler.summary()
    print(f"\n{'PostgreSQL' if args.postgres else 'SQLite only (no --postgres)'}; ", end="")
    print(f"previous results: {previous}\n")
    print_table(rows, before)
    print(
        f"\n{took.seconds:,.0f} s wall, {cpu:,.0f} CPU-s for the whole run (every bench's"
        f" processes); load average (1 min) min {load['min']}, mean {load['mean']},"
        f" max {load['max']} on {common.machine()['cpus']} CPUs"
    )
    figures = {
        "bench": "suite",
        "sizes": {k: getattr(args, k) for k in ("households", "events", "rate", "seconds")}
        | {"read_seconds": args.read_seconds, "clients": args.clients},
        "backend": "postgresql" if args.postgres else "sqlite",
        "wall_s": took.seconds,
        "cpu_s": cpu,
        "load_average": load,
        "benches": {n: {k: v for k, v in x.items() if k != "result"} for n, x in runs.items()},
        "figures": rows,
        "compared_with": previous,
    }
    common.write_results(figures, args.results, f"bench-{common.stamp()}.json")
    if any(x["status"] != "ok" for x in runs.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
