"""Pytest plugin shared by every package's tests: a real broker and real databases.

Loaded with ``-p tuopin_eventkit.testing``. Each test gets its own Tansu broker (it starts
in well under a second) and its own database: a SQLite file always, and a fresh PostgreSQL
database as well when ``TUOPIN_TEST_POSTGRES_URL`` points at a server.
"""

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from stdnum.cn import ric

from tuopin_contracts import Envelope, EventData
from tuopin_contracts.dates import business_date
from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import Relation
from tuopin_eventkit.db import read_only
from tuopin_eventkit.messaging import broker as tansu
from tuopin_eventkit.messaging.kafka import KafkaSettings
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.security.tokens import AuthSettings, mint
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.web.runtime import ServiceSpec

POSTGRES_ENV = "TUOPIN_TEST_POSTGRES_URL"
DATABASES = ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]

T = TypeVar("T")


@pytest.fixture
def broker() -> Iterator[tansu.Tansu]:
    running = tansu.start()
    yield running
    running.stop()


@pytest.fixture
def kafka_settings(broker: tansu.Tansu) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=broker.bootstrap_servers,
        request_timeout_ms=5000,
        session_timeout_ms=3000,  # a group's first join is held 1.5 s, not 5
    )


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@asynccontextmanager
async def fresh_postgres_database(
    server_url: str | None = None, prefix: str = "tuopin_test"
) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on the server (default: the test server), dropped after."""
    server = make_url(server_url or os.environ[POSTGRES_ENV]).set(drivername="postgresql+asyncpg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@dataclass
class PostgresServer:
    """A PostgreSQL server of the test's own (initdb into a temporary directory), on a
    free port, that the test may stop and start again: failure injection."""

    bin: Path
    root: Path
    port: int
    as_user: list[str]  # run as the postgres OS user when root (initdb refuses root)

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [*self.as_user, str(self.bin / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} {args[:1]} failed: {done.stderr}{done.stdout}{tail}")

    def initdb(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.root / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )

    def start(self) -> None:
        """Start and wait until it takes connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}"
            " -c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.root / "data"),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop (``fast``: sessions terminated, open transactions rolled back) and wait."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.root / "data"))


def postgres_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin directory (Debian's layout, or PATH)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A running PostgreSQL server of this test's own (skipped without server binaries)."""
    binaries = postgres_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="tuopin-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres OS user
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no postgres OS user to run the server")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(binaries, root, tansu.free_port(), as_user)
    try:
        server.initdb()
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        except RuntimeError:
            pass  # already stopped (or never started)
        shutil.rmtree(root, ignore_errors=True)


ADMIN = Principal("test-admin", Role.PROVINCE_ADMIN, region="62")


def bearer(settings: AuthSettings, who: Principal) -> dict[str, str]:
    """The Authorization header of a token for ``who``, signed with the local key."""
    token = mint(
        settings,
        who.subject,
        who.role,
        region=who.region,
        org=who.org,
        counties=tuple(sorted(who.counties)),
    )
    return {"Authorization": f"Bearer {token}"}


def as_(app: FastAPI, role: Role, **scope: Any) -> dict[str, str]:
    """Headers of a caller of ``role`` for a running app: ``as_(app, Role.BANK, org="rcc")``."""
    counties = frozenset(scope.pop("counties", ()))
    who = Principal(f"test-{role}", role, counties=counties, **scope)
    return bearer(app.state.runtime.settings.auth, who)


def members_of(
    keys: IdentityKeys, numbers: Sequence[str], person_ids: Sequence[UUID] = ()
) -> list[reg.Member]:
    """A household's members as the registry published them before it sealed details
    (V2), known to the test by resident ID number, hashed with ``keys``: the head first,
    then children, named 成员0, 成员1 …"""
    ids = list(person_ids) or [uuid.uuid4() for _ in numbers]
    return [
        reg.Member(
            person_id=person_id,
            name=f"成员{i}",
            relation=Relation.HEAD if i == 0 else Relation.CHILD,
            birth_date=keys.resident(n).birth_date,
            id_number_hash=keys.resident(n).hash,
            id_number_masked=keys.resident(n).masked,
        )
        for i, (person_id, n) in enumerate(zip(ids, numbers, strict=True))
    ]


class OwnSettings(ServiceSettings):
    """The settings of a service a test builds for itself (its port is never bound)."""

    port: int = 8999
    database_url: str = "sqlite+aiosqlite:///:memory:"


def own_spec(
    tmp_path: Path, name: str, settings: type[ServiceSettings] = OwnSettings, **spec: Any
) -> ServiceSpec:
    """A service a test builds for itself, on the kernel's tables alone (its migrations
    an empty folder in ``tmp_path``)."""
    (tmp_path / "versions").mkdir(exist_ok=True)
    spec.setdefault("title", name.capitalize())
    return ServiceSpec(name=name, settings=settings, versions=tmp_path / "versions", **spec)


def offline(
    tmp_path: Path, kind: type[ServiceSettings] = OwnSettings, **values: Any
) -> ServiceSettings:
    """Such a service's settings: a SQLite file in ``tmp_path``, no projections running,
    and a broker address nothing answers at (it publishes nothing)."""
    values.setdefault("database_url", f"sqlite+aiosqlite:///{tmp_path / 'own.db'}")
    values.setdefault("kafka", KafkaSettings(bootstrap_servers="127.0.0.1:1"))
    values.setdefault("run_projections", False)
    return kind(**values)


@asynccontextmanager
async def client_for(
    app: FastAPI, who: Principal | None = ADMIN
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in process, with its lifespan running, calling as
    ``who`` (the province's administrator unless told otherwise; ``None``: no token)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = bearer(app.state.runtime.settings.auth, who) if who else {}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as client:
            yield client


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 30.0) -> T:
    """Retry an async check until it stops raising AssertionError, or fail with its last error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def counted(engine: AsyncEngine, column: ColumnElement[Any]) -> dict[Any, int]:
    """How many rows of ``column``'s table hold each of its values."""
    async with read_only(engine).connect() as conn:
        query = select(column, func.count()).group_by(column)
        return {value: count for value, count in (await conn.execute(query)).all()}


def resident_id(birth: date, serial: int, region: str = "620121") -> str:
    """A valid resident ID number (GB 11643): a region (榆中县 by default, coded since
    1949), a birth date and a three-digit serial, with its check digit."""
    body = f"{region}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects a placeholder check digit


async def service_command(service: str, *args: str, env: dict[str, str]) -> tuple[int, str]:
    """``python -m tuopin_<service> *args`` as ops run it, ``env`` over this process's
    environment: its exit code and its output (stdout and stderr together)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"tuopin_{service}",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end through real processes and the broker")
    config.addinivalue_line(
        "markers", "faults: failure injection — broker/database restarts, races, outages"
    )


async def read_topic(
    settings: KafkaSettings, topic: str, count: int, timeout: float = 30.0
) -> list[Any]:
    """Read a topic from the beginning until ``count`` records arrived (fails on timeout)."""
    from tuopin_eventkit.messaging import kafka

    consumer = kafka.consumer(settings, group_id=None)
    await consumer.start()
    try:
        consumer.subscribe([topic])
        records: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            assert time.monotonic() < deadline, f"only {len(records)} of {count} on {topic}"
            batches = await consumer.getmany(timeout_ms=300)
            for batch in batches.values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


async def publish(
    settings: KafkaSettings,
    topic: str,
    *values: bytes | Envelope,
    headers: dict[str, str] | None = None,
) -> None:
    """Produce envelopes (keyed by subject) or raw bytes, as another service or a bank
    would; ``headers`` go with every message (e.g. a posting's idempotency key)."""
    from tuopin_eventkit.messaging import kafka

    producer = kafka.producer(settings)
    await producer.start()
    try:
        for value in values:
            raw, key = (
                (value.to_json(), value.key) if isinstance(value, Envelope) else (value, b"?")
            )
            encoded = [(k, v.encode()) for k, v in (headers or {}).items()]
            await producer.send_and_wait(topic, raw, key=key, headers=encoded)
    finally:
        await producer.stop()


def envelope(
    data: EventData, subject: object, sequence: int, *, source: str = "/tuopin/registry"
) -> Envelope:
    """An event as its owner's relay would publish it (by default the registry's), recorded
    now: for tests that feed a service another service's events."""
    now = datetime.now(UTC)
    return Envelope(
        id=uuid.uuid4(),
        source=source,
        type=data.TYPE,
        subject=str(subject),
        time=now,
        effectivedate=data.business_date() or business_date(now),
        data=data.model_dump(mode="json"),
        sequence=sequence,
    )
