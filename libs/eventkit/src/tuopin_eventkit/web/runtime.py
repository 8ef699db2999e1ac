"""What a running service is: its spec (what makes it itself) and its runtime (engine,
event store, access rules, background tasks) — the web layer reads them, never the other
way round."""

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.chinese import Catalogue
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.messaging.advances import Advances
from tuopin_eventkit.messaging.consumer import ProgressCallback, ProjectionConsumer
from tuopin_eventkit.messaging.relay import OutboxRelay
from tuopin_eventkit.security import auth, tokens
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.store import idempotency
from tuopin_eventkit.store.projection import Projection, Reaction, rebuild_inline
from tuopin_eventkit.store.store import EventStore
from tuopin_eventkit.web.hardening import PublicRateLimit
from tuopin_eventkit.web.inbound import Intake, IntakeConsumer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a service itself; everything else is the kernel's."""

    name: str
    title: str
    settings: type[ServiceSettings]
    topic: str | None = None  # where its outbox publishes; None while it publishes nothing
    routers: Sequence[APIRouter] = ()
    projections: Sequence[Projection] = ()  # fed by other services' events through Kafka
    # Process managers: other services' events causing commands here, built on the
    # runtime's own store (see projection.Reaction); never rebuilt.
    reactions: Sequence[Callable[[EventStore], Reaction]] = ()
    inline_projections: Sequence[Projection] = ()  # its own events, in the same transaction
    private_tables: Sequence[Table] = ()  # its other tables, never rebuilt from events
    intake: Intake | None = None  # partners' postings through Kafka (banks, centres)
    access: auth.AccessRules = field(default_factory=dict)  # "METHOD /route" → who may call it
    # Its own refusals' texts in Chinese (its adapters' catalogue), beside the kernel's.
    messages: Catalogue = field(default_factory=Catalogue)
    # Its Alembic versions folder; None: its package's own, tuopin_<name>/migrations/versions.
    versions: Path | None = None

    @property
    def source(self) -> str:
        return f"/tuopin/{self.name}"

    @property
    def migrations(self) -> Path:
        if self.versions is not None:
            return self.versions
        return Path(str(resources.files(f"tuopin_{self.name}"))) / "migrations" / "versions"

    @property
    def subscriptions(self) -> list[Projection]:
        """Everything it feeds from Kafka: projections, and reactions (here built on a
        scratch store, for their names and topics)."""
        return [*self.projections, *(react(EventStore(self.source)) for react in self.reactions)]

    def projection(self, name: str) -> Projection:
        """A read model by name (reactions are not read models: nothing rebuilds them)."""
        for projection in [*self.projections, *self.inline_projections]:
            if projection.name == name:
                return projection
        if name in {r.name for r in self.subscriptions if isinstance(r, Reaction)}:
            raise KeyError(
                f"{name} is a reaction, not a read model: what it did is in {self.name}'s "
                "event store, and a rebuild never does it again"
            )
        known = ", ".join(p.name for p in [*self.projections, *self.inline_projections]) or "none"
        raise KeyError(f"{self.name} has no projection {name!r} (it has: {known})")


@dataclass
class Runtime:
    spec: ServiceSpec
    settings: ServiceSettings
    engine: AsyncEngine
    store: EventStore
    reader: AsyncEngine = field(init=False)
    verifier: tokens.Verifier = field(init=False)
    access: auth.AccessRules = field(init=False)
    rate_limit: PublicRateLimit = field(init=False)
    reactions: list[Reaction] = field(init=False)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Its consumers' commits, for its reactions waiting on a read model.
    advances: Advances = field(default_factory=Advances)

    def __post_init__(self) -> None:
        self.reactions = [react(self.store) for react in self.spec.reactions]
        self.reader = read_only(self.engine)
        self.verifier = tokens.Verifier(self.settings.auth)
        self.access = {**auth.KERNEL_ACCESS, **self.spec.access}
        self.rate_limit = PublicRateLimit(
            self.settings.public_rate_limit, self.settings.rate_limit_storage
        )

    @classmethod
    def open(cls, spec: ServiceSpec, settings: ServiceSettings) -> "Runtime":
        store = EventStore(spec.source, inline=spec.inline_projections)
        engine = create_engine(
            settings.database_url, settings.database_pool_size, settings.database_max_overflow
        )
        return cls(spec, settings, engine, store)

    async def execute(
        self, scope: str, key: str | None, request: Any, command: idempotency.Command
    ) -> idempotency.Outcome:
        """Run a command in one transaction, at most once per idempotency key within
        ``<service>.<scope>`` (a retry gets the first answer)."""
        scoped = f"{self.spec.name}.{scope}"
        return await idempotency.execute(self.engine, self.store, command, scoped, key, request)

    def relay(self) -> OutboxRelay | None:
        if self.spec.topic is None:
            return None
        return OutboxRelay(
            self.engine, self.store, self.settings.kafka, self.spec.topic, name=self.spec.name
        )

    def consumer(self, projection: Projection) -> ProjectionConsumer:
        """Its consumer; a reaction's wakes the relay after appending to the store, and
        is woken when the read model it waits for commits."""
        notify = self.store.notify if isinstance(projection, Reaction) else None
        return ProjectionConsumer(
            self.engine, projection, self.settings.kafka, notify=notify, advances=self.advances
        )

    async def rebuild(
        self, projection: Projection, progress: ProgressCallback | None = None
    ) -> int:
        """Drop a read model and replay it: from the event store if inline, else from Kafka.

        ``progress(done, total)`` follows a replay from Kafka batch by batch; an inline
        replay (one transaction) reports only its end."""
        if projection in self.spec.inline_projections:
            applied = await rebuild_inline(self.engine, self.store, projection)
            if progress is not None:
                progress(applied, applied)
            return applied
        return await self.consumer(projection).rebuild(progress)

    def start_background(self) -> None:
        relay = self.relay()
        if relay is not None and self.settings.run_relay:
            self.tasks.append(asyncio.create_task(relay.run(), name=f"{self.spec.name}-relay"))
        if self.settings.run_projections:
            for projection in [*self.spec.projections, *self.reactions]:
                self.tasks.append(
                    asyncio.create_task(self.consumer(projection).run(), name=projection.name)
                )
            if self.spec.intake is not None:
                intake = IntakeConsumer(self, self.spec.intake)
                self.tasks.append(asyncio.create_task(intake.run(), name=intake.group))

    async def close(self) -> None:
        """Stop the background work together, waiting at most the shutdown grace: an
        operator's stop (or Kubernetes' SIGTERM) must end the process even when a client
        hangs on a broker that went away."""
        for task in self.tasks:
            task.cancel()
        if self.tasks:
            grace = self.settings.shutdown_grace_seconds
            stopped, stuck = await asyncio.wait(self.tasks, timeout=grace)
            for task in stuck:
                log.warning("%s did not stop within %.0f s", task.get_name(), grace)
            for task in stopped:
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s had failed", task.get_name(), exc_info=task.exception())
        await self.engine.dispose()


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime  # set by the lifespan
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
