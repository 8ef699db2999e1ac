"""One way to assemble a service: its spec, its runtime and the FastAPI app around them."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import auth, idempotency, logs, migrate
from tuopin_eventkit.consumer import ProgressCallback, ProjectionConsumer
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.hardening import PublicRateLimit
from tuopin_eventkit.inbound import Intake, IntakeConsumer
from tuopin_eventkit.projection import Projection, Reaction, rebuild_inline
from tuopin_eventkit.relay import OutboxRelay
from tuopin_eventkit.settings import ServiceSettings, refuse_development_keys
from tuopin_eventkit.store import EventStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """What makes a service itself; everything else is the kernel's."""

    name: str
    title: str
    settings: type[ServiceSettings]
    migrations: Path
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

    @property
    def source(self) -> str:
        return f"/tuopin/{self.name}"

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
    verifier: auth.Verifier = field(init=False)
    access: auth.AccessRules = field(init=False)
    rate_limit: PublicRateLimit = field(init=False)
    reactions: list[Reaction] = field(init=False)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        from tuopin_eventkit.http import KERNEL_ACCESS

        self.reactions = [react(self.store) for react in self.spec.reactions]
        self.reader = read_only(self.engine)
        self.verifier = auth.Verifier(self.settings.auth)
        self.access = {**KERNEL_ACCESS, **self.spec.access}
        self.rate_limit = PublicRateLimit(
            self.settings.public_rate_limit, self.settings.rate_limit_storage
        )

    @classmethod
    def open(cls, spec: ServiceSpec, settings: ServiceSettings) -> "Runtime":
        store = EventStore(spec.source, inline=spec.inline_projections)
        return cls(spec, settings, create_engine(settings.database_url), store)

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
        """Its consumer; a reaction's wakes the relay after appending to the store."""
        notify = self.store.notify if isinstance(projection, Reaction) else None
        return ProjectionConsumer(self.engine, projection, self.settings.kafka, notify=notify)

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
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.engine.dispose()


def create_app(spec: ServiceSpec, settings: ServiceSettings | None = None) -> FastAPI:
    from tuopin_eventkit import docs, hardening, http, problems

    settings = settings or spec.settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.configure(spec.name, settings.log_level)
        refuse_development_keys(settings)
        runtime = Runtime.open(spec, settings)
        if settings.migrate_on_start:
            await migrate.upgrade(runtime.engine, spec.migrations)
        runtime.start_background()
        app.state.runtime = runtime
        log.info("%s ready on %s:%d", spec.name, settings.host, settings.port)
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title=spec.title, version="0.1.0", lifespan=lifespan,
        dependencies=[Depends(http.authorize)],
        docs_url=None, redoc_url=None,  # served offline by docs.install
    )  # fmt: skip
    docs.install(app)
    problems.install(app)
    http.install(app, spec)
    hardening.install(app, settings)
    for router in spec.routers:
        app.include_router(router)
    problems.document(app)
    app.add_middleware(problems.Localised)  # outermost: every problem, whoever made it
    _check_access(app, spec)
    return app


def _check_access(app: FastAPI, spec: ServiceSpec) -> None:
    """Every route of the API document has its access rule, and every rule's scope names a
    parameter or body field its route declares: a route nobody thought about would
    answer 403 to all, a scope read from nowhere would refuse everyone — better to refuse
    to start. (Routes kept out of the document, like static assets, are refused at request
    time unless they have a rule too.)"""
    from tuopin_eventkit.http import KERNEL_ACCESS

    document = app.openapi()
    operations = {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    missing = sorted(set(operations) - {*KERNEL_ACCESS, *spec.access})
    if missing:
        raise RuntimeError(f"{spec.name}: routes without an access rule {missing}")
    schemas = document.get("components", {}).get("schemas", {})
    nowhere = [
        f"{key} (no {rule.scope.at.place} field {rule.scope.at.name})"
        for key, rule in spec.access.items()
        if rule.scope.at is not None
        and key in operations
        and rule.scope.at.name not in _fields(operations[key], rule.scope.at.place, schemas)
    ]
    if nowhere:
        raise RuntimeError(f"{spec.name}: scopes read from nowhere: {nowhere}")


def _fields(operation: dict[str, Any], place: str, schemas: dict[str, Any]) -> set[str]:
    """The names an operation of the API document takes in ``place``: its path or query
    parameters, or the fields every form of its JSON body has."""
    if place != "body":
        return {p["name"] for p in operation.get("parameters", []) if p["in"] == place}
    content = operation.get("requestBody", {}).get("content", {})
    return _properties(content.get("application/json", {}).get("schema", {}), schemas)


def _properties(schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return _properties(schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas)
    forms = schema.get("oneOf") or schema.get("anyOf")
    if forms:  # a union of bodies (a bank's postings): a field all of them have
        return set.intersection(*(_properties(form, schemas) for form in forms))
    return set(schema.get("properties", {}))


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime  # set by the lifespan
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
