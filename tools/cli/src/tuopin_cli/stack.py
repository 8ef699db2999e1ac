"""The whole system on one machine: a Tansu broker and the four services as processes.

Each service is its own process with its own SQLite file, exactly as it would be deployed,
so the embedded mode exercises the same boundaries (HTTP, Kafka) as production.

Ports come from one base N: the services on N+1..N+4 in the order of ``SERVICES``, the
broker on N+1092 — the default base 8000 gives 8001–8004 and 9092, and another base (with
another ``var`` folder) runs a second stack beside the first.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tuopin_cli.ports import (  # re-exported: the stack's callers name them from here
    DEFAULT_PORT_BASE,
    KAFKA_OFFSET,
    SERVICES,
    broker_port,
    service_ports,
)
from tuopin_contracts import Topic
from tuopin_eventkit.messaging import broker
from tuopin_eventkit.messaging.kafka import KafkaSettings, ensure_topics

__all__ = ["DEFAULT_PORT_BASE", "KAFKA_OFFSET", "SERVICES", "broker_port", "service_ports"]

KAFKA = "kafka"  # the broker's name in reports and its log file's


class ProcessFailed(RuntimeError):
    """A service (or the broker) exited or never became ready: which, how, and its log."""

    def __init__(self, name: str, what: str, log: Path) -> None:
        super().__init__(f"{name} {what}; its log: {log}")
        self.name, self.what, self.log = name, what, log

    def tail(self, lines: int = 20) -> list[str]:
        """The log's last lines (none if it is missing)."""
        try:
            with open(self.log, encoding="utf-8", errors="replace") as text:
                return [line.rstrip("\n") for line in deque(text, maxlen=lines)]
        except OSError:
            return []


def _exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass
class Stack:
    var: Path
    kafka_port: int = broker_port()
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    database_urls: dict[str, str] = field(default_factory=dict)
    kafka: broker.Tansu | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def at(cls, var: Path, port_base: int, kafka: int | None = None) -> "Stack":
        """A stack on the ports of ``port_base`` (the broker's may be given apart)."""
        return cls(
            var=var, kafka_port=kafka or broker_port(port_base), ports=service_ports(port_base)
        )

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def log(self, name: str) -> Path:
        """Where a service's (or the broker's, ``kafka``) output goes."""
        return self.var / f"{name}.log"

    def start_broker(self) -> None:
        _require_free(self.kafka_port, "the Kafka broker")
        self.var.mkdir(parents=True, exist_ok=True)
        # Ctrl-C reaches every process of the terminal's group at once: the services then
        # stop while the broker still answers them, and ``down`` stops it last.
        self.kafka = broker.start(self.kafka_port, log=self.log(KAFKA), detached=True)
        settings = KafkaSettings(bootstrap_servers=self.kafka.bootstrap_servers)
        asyncio.run(ensure_topics(settings, [t.value for t in Topic]))

    def start(self, service: str) -> None:
        assert self.kafka is not None, "start the broker first"
        _require_free(self.ports[service], service)
        self.var.mkdir(parents=True, exist_ok=True)
        prefix = f"TUOPIN_{service.upper()}_"
        database = self.database_urls.get(
            service, f"sqlite+aiosqlite:///{self.var / f'{service}.db'}"
        )
        env = {
            **self.crossing(service),  # the caller's environment may name others
            **os.environ,
            prefix + "PORT": str(self.ports[service]),
            prefix + "DATABASE_URL": database,
            prefix + "KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
        }
        with open(self.log(service), "ab") as log:  # the child keeps its own descriptor
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"tuopin_{service}", "serve"],
                env=env,
                stdout=log,
                stderr=log,
            )

    def crossing(self, service: str) -> dict[str, str]:
        """What lets the dashboard's page (evaluation's origin) read the loans panel's
        figures from loans in the browser: loans' CORS open to evaluation's origin (as
        127.0.0.1 and as localhost: the address bar may say either), evaluation told where
        loans is."""
        if service == "loans" and "evaluation" in self.ports:
            port = self.ports["evaluation"]
            origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
            return {"TUOPIN_LOANS_CORS_ORIGINS": json.dumps(origins)}
        if service == "evaluation" and "loans" in self.ports:
            return {"TUOPIN_EVALUATION_LOANS_URL": self.url("loans")}
        return {}

    def wait_ready(self, service: str, timeout: float = 180.0) -> None:
        """Until the service answers ready. One that exits is named at once; one still
        starting is given minutes, not seconds: on a loaded machine (two stacks starting
        while other tests ran) a service's start took 60 s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            failed = self.failed()
            if failed is not None:
                raise failed
            try:
                if httpx.get(self.url(service) + "/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ProcessFailed(service, f"was not ready within {timeout:.0f} s", self.log(service))

    def failed(self) -> ProcessFailed | None:
        """The first process of the stack that has stopped, if any (the broker first)."""
        if self.kafka is not None and self.kafka.process.poll() is not None:
            return ProcessFailed(KAFKA, _exit(self.kafka.process.returncode), self.log(KAFKA))
        for service, process in self.processes.items():
            if process.poll() is not None:
                return ProcessFailed(service, _exit(process.returncode), self.log(service))
        return None

    def up(self) -> None:
        self.start_broker()
        for service in self.ports:
            self.start(service)
        for service in self.ports:
            self.wait_ready(service)

    def kill(self, service: str) -> None:
        """Hard stop, as a crash would: no shutdown hooks, no final commits."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self, service: str) -> None:
        process = self.processes.pop(service)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def down(self) -> None:
        for service in list(self.processes):
            self.stop(service)
        if self.kafka is not None:
            self.kafka.stop()
            self.kafka = None


def _require_free(port: int, what: str) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(
                f"port {port} for {what} is taken: is Tuopin already running? "
                "(--port-base runs another stack on other ports)"
            )
