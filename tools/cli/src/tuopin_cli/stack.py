"""The whole system on one machine: a Tansu broker and the four services as processes.

Each service is its own process with its own SQLite file, exactly as it would be deployed,
so the embedded mode exercises the same boundaries (HTTP, Kafka) as production.
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tuopin_contracts import Topic
from tuopin_eventkit import broker
from tuopin_eventkit.kafka import KafkaSettings, ensure_topics

SERVICES = {"registry": 8001, "loans": 8002, "training": 8003, "evaluation": 8004}


@dataclass
class Stack:
    var: Path
    kafka_port: int = 9092
    ports: dict[str, int] = field(default_factory=lambda: dict(SERVICES))
    database_urls: dict[str, str] = field(default_factory=dict)
    kafka: broker.Tansu | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start_broker(self) -> None:
        _require_free(self.kafka_port, "the Kafka broker")
        self.kafka = broker.start(self.kafka_port)
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
            **os.environ,
            prefix + "PORT": str(self.ports[service]),
            prefix + "DATABASE_URL": database,
            prefix + "KAFKA__BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
        }
        log = open(self.var / f"{service}.log", "ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"tuopin_{service}", "serve"], env=env, stdout=log, stderr=log
        )

    def wait_ready(self, service: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service} exited with {process.returncode}; see {self.var}/{service}.log"
                )
            try:
                if httpx.get(self.url(service) + "/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{service} not ready within {timeout}s; see {self.var}/{service}.log")

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
            raise RuntimeError(f"port {port} for {what} is taken: is Tuopin already running?")
