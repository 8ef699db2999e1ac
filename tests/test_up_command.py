"""`tuopin up`: ports from one base, so two stacks run side by side; a service that dies is
named, with its exit and the end of its log, and the rest is stopped."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tuopin_cli.main import app
from tuopin_cli.stack import (
    KAFKA_OFFSET,
    SERVICES,
    ProcessFailed,
    Stack,
    broker_port,
    service_ports,
)
from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.security.tokens import AuthSettings, Verifier


def test_ports_come_from_one_base() -> None:
    assert (
        service_ports()
        == SERVICES
        == {"registry": 8001, "loans": 8002, "training": 8003, "evaluation": 8004}
    )
    assert broker_port() == 9092  # the defaults are what they always were
    stack = Stack.at(Path("var"), 10000)
    assert stack.kafka_port == 11092
    assert stack.ports == {
        "registry": 10001,
        "loans": 10002,
        "training": 10003,
        "evaluation": 10004,
    }
    assert Stack.at(Path("var"), 10000, kafka=9999).kafka_port == 9999
    one, other = Stack.at(Path("a"), 8000), Stack.at(Path("b"), 8100)
    assert not {*one.ports.values(), one.kafka_port} & {*other.ports.values(), other.kafka_port}


def test_the_dashboard_page_may_read_loans_and_nothing_else_opens() -> None:
    """`tuopin up` tells evaluation where loans is and opens loans' CORS to evaluation's
    origin (the dashboard's loans panel), for the stack's own ports; no other service."""
    stack = Stack.at(Path("var"), 10000)
    assert json.loads(stack.crossing("loans")["TUOPIN_LOANS_CORS_ORIGINS"]) == [
        "http://127.0.0.1:10004",
        "http://localhost:10004",
    ]
    assert stack.crossing("evaluation") == {"TUOPIN_EVALUATION_LOANS_URL": "http://127.0.0.1:10002"}
    assert stack.crossing("registry") == stack.crossing("training") == {}


def test_a_taken_port_is_named_with_the_way_out(tmp_path: Path) -> None:
    base = free_base()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + KAFKA_OFFSET))
        taken.listen()
        result = CliRunner().invoke(app, ["up", "--port-base", str(base), "--var", str(tmp_path)])
    assert result.exit_code == 1
    assert f"port {base + KAFKA_OFFSET} for the Kafka broker is taken" in result.output
    assert "--port-base" in result.output


def test_a_failure_names_the_process_its_exit_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "loans.log"
    log.write_text("".join(f"line {n}\n" for n in range(30)))
    failed = ProcessFailed("loans", "was killed by SIGKILL", log)
    assert str(failed) == f"loans was killed by SIGKILL; its log: {log}"
    assert failed.tail() == [f"line {n}" for n in range(10, 30)]
    assert ProcessFailed("loans", "x", tmp_path / "missing.log").tail() == []


TUOPIN = str(Path(sys.executable).parent / "tuopin")


def free_base() -> int:
    """A base whose five ports are free, below the ephemeral range."""

    def free(port: int) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) != 0

    for _ in range(100):
        base = random.randrange(10000, 30000 - KAFKA_OFFSET, 10)
        if all(map(free, [*service_ports(base).values(), broker_port(base)])):
            return base
    raise AssertionError("no free port base")


class Up:
    """`tuopin up --port-base N` as a process, its banner read as it prints it."""

    def __init__(self, base: int, var: Path, terminal: bool = False) -> None:
        """``terminal``: in a process group of its own, as a shell's foreground job is."""
        self.base, self.var = base, var
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [TUOPIN, "up", "--port-base", str(base), "--var", str(var)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=terminal,
        )
        self.banner: list[str] = []

    def wait_banner(self, timeout: float = 180) -> dict[str, int]:
        """The pid of each service, once all are ready."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"tuopin up ended: {self.finish()}")
            self.banner.append(line)
            if "Ctrl-C stops everything" in line:
                return {
                    words[0]: int(words[-1])
                    for words in (b.split() for b in self.banner)
                    if words and words[-2:-1] == ["pid"]
                }
        raise AssertionError(f"not ready within {timeout}s: {self.banner}")

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, "".join(self.banner) + out, err

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()


def ready(base: int, service: str) -> bool:
    try:
        url = f"http://127.0.0.1:{service_ports(base)[service]}/readyz"
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.e2e
@pytest.mark.faults
def test_two_stacks_side_by_side_and_a_killed_service_is_named(tmp_path: Path) -> None:
    first = Up(free_base(), tmp_path / "first")
    second_base = free_base()
    while abs(second_base - first.base) < 10:
        second_base = free_base()
    second = Up(second_base, tmp_path / "second")
    try:
        pids = first.wait_banner()
        second.wait_banner()
        assert set(pids) == set(SERVICES)
        assert f"Kafka (Tansu, in memory): 127.0.0.1:{broker_port(first.base)}" in "".join(
            first.banner
        )
        assert all(ready(s.base, name) for s in (first, second) for name in SERVICES)
        # The banner says where the dashboard is, signed in, and how to mint other tokens.
        (link,) = [line.split()[1] for line in first.banner if line.startswith("dashboard")]
        page, token = link.split("#access_token=")
        assert page == f"http://127.0.0.1:{service_ports(first.base)['evaluation']}/dashboard"
        assert Verifier(AuthSettings()).verify(token).role == Role.PROVINCE_ADMIN
        assert httpx.get(page, timeout=5).status_code == 200
        assert "tuopin token --role" in "".join(first.banner)
        # The dashboard's loans panel: evaluation names loans, loans lets its page in (CORS).
        ports = service_ports(first.base)
        loans, dashboard = f"http://127.0.0.1:{ports['loans']}", page.removesuffix("/dashboard")
        config = httpx.get(
            f"{dashboard}/dashboard/config", timeout=5, headers={"Authorization": f"Bearer {token}"}
        )
        assert config.json() == {"loans_url": loans}
        asked = {
            "Origin": dashboard,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        }
        preflight = httpx.options(f"{loans}/v1/reports/portfolio", headers=asked, timeout=5)
        assert preflight.headers["access-control-allow-origin"] == dashboard

        os.kill(pids["evaluation"], signal.SIGKILL)  # a crash, in the first stack
        code, _, err = first.finish()
        log = tmp_path / "first" / "evaluation.log"
        assert code == 1
        assert f"evaluation was killed by SIGKILL; its log: {log}" in err
        assert f"lines of {log} ---" in err
        assert log.read_text().splitlines()[-1] in err  # the end of its log, on stderr
        assert not any(ready(first.base, name) for name in SERVICES)  # the rest stopped

        assert all(ready(second.base, name) for name in SERVICES)  # the other stack runs on
        second.process.send_signal(signal.SIGTERM)
        code, out, _ = second.finish()
        assert code == 0 and "stopping…" in out
    finally:
        first.stop()
        second.stop()


@pytest.mark.e2e
@pytest.mark.faults
def test_ctrl_c_stops_the_services_while_the_broker_still_answers(tmp_path: Path) -> None:
    """Ctrl-C goes to every process of the terminal's foreground group at once. Had the
    broker stopped with the services, each consumer would have waited its grace for an
    answer that never came, and said so; the broker keeps out of the group and is stopped
    last."""
    up = Up(free_base(), tmp_path, terminal=True)
    try:
        up.wait_banner()
        time.sleep(8)  # the consumers have joined their groups (half the 10 s session)
        os.killpg(up.process.pid, signal.SIGINT)
        _, out, _ = up.finish()
    finally:
        up.stop()
    assert "stopping…" in out
    assert not any(ready(up.base, name) for name in SERVICES)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", broker_port(up.base))) != 0  # stopped too
    for name in SERVICES:
        assert "did not stop within" not in (tmp_path / f"{name}.log").read_text(), name
