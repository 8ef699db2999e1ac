"""A service told to stop, stops: whatever its broker does meanwhile, within its grace.
And a test's broker is its own: never one another test started on the same port."""

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tuopin_eventkit.messaging import broker as tansu
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.testing import OwnSettings, client_for

from .conftest import counting_projection
from .test_outages import TOPIC, service

pytestmark = pytest.mark.faults


async def test_a_service_stops_within_its_grace_when_the_broker_stops_answering(
    tmp_path: Path, broker: tansu.Tansu, kafka_settings: kafka.KafkaSettings, capfd
) -> None:
    """A frozen broker (a paused VM, a partition) keeps the connections open and answers
    nothing: a consumer asked to stop while joining its group waits for the join's answer,
    40 s and then again. The service gives its clients a grace, then exits all the same."""
    settings = OwnSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db'}",
        kafka=kafka_settings,
        shutdown_grace_seconds=1.0,
    )
    app = service(tmp_path, settings, projections=[counting_projection("stopping.count")])
    await kafka.ensure_topics(kafka_settings, [TOPIC])
    try:
        async with client_for(app) as client:
            assert (await client.get("/healthz")).status_code == 200
            await asyncio.sleep(0.5)  # the consumer is joining its group
            os.kill(broker.process.pid, signal.SIGSTOP)
            stopping = time.monotonic()
        stopped_after = time.monotonic() - stopping
    finally:
        os.kill(broker.process.pid, signal.SIGCONT)
    assert "stopping.count did not stop within 1 s" in capfd.readouterr().err
    assert stopped_after < 30  # not the consumer's 40 s, however loaded the machine


def test_a_broker_never_borrows_a_port_another_process_listens_on(
    broker: tansu.Tansu, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A port chosen free can be taken by another process before the broker binds it (on
    a machine running tests in parallel, another test's broker). Connecting there would
    reach that broker, and lose it when its test ends; so another port is chosen."""
    taken = iter([broker.port])
    free = tansu.free_port
    monkeypatch.setattr(tansu, "free_port", lambda: next(taken, None) or free())
    mine = tansu.start()
    try:
        assert mine.port != broker.port and mine.process.poll() is None
    finally:
        mine.stop()
    assert broker.process.poll() is None  # the other one is untouched
    with pytest.raises(tansu.PortTaken, match=f"another process listens on port {broker.port}"):
        tansu.start(broker.port)  # a port asked for is not swapped for another


def test_a_broker_gone_before_its_port_is_looked_at_does_not_hold_it(
    broker: tansu.Tansu,
) -> None:
    """A broker that found its port taken exits, perhaps between the start's two looks: it
    holds no port then, so the one answering there is another's (CI took such a broker for
    its own once, when reading the gone process's descriptors failed and said "can't tell")."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert tansu._listens(gone.pid, broker.port) is False
    assert tansu._listens(broker.process.pid, broker.port) is True
