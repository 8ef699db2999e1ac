"""The routes and middleware the kernel mounts on every service: the event feed, health,
readiness, Prometheus metrics, request latency and correlation ids."""

import asyncio
import time
from collections.abc import Awaitable
from typing import Annotated, Literal
from urllib.parse import urlsplit

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Query, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuopin_contracts import Envelope
from tuopin_eventkit import metrics, outage
from tuopin_eventkit.db import ping
from tuopin_eventkit.web.http import MAX_POSITION, Answer, Router
from tuopin_eventkit.web.problems import MEDIA_TYPE, problem
from tuopin_eventkit.web.runtime import RuntimeDep, ServiceSpec
from tuopin_eventkit.web.status import MetricsRefresh


class FeedItem(BaseModel):
    position: int
    event: Envelope


class Feed(BaseModel):
    """A page of the service's event stream in commit order."""

    items: list[FeedItem]
    next_after: int
    head: int


def feed_router() -> APIRouter:
    router = Router(tags=["events"])

    @router.get("/v1/events", response_model=Feed, summary="The service's event stream")
    async def read_events(
        runtime: RuntimeDep,
        after: Annotated[
            int, Query(ge=0, le=MAX_POSITION, description="Last position already read")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Feed:
        async with runtime.reader.connect() as conn:
            page = await runtime.store.read_all(conn, after, limit)
            head = await runtime.store.head(conn)
        items = [
            FeedItem(position=e.position, event=e.envelope(runtime.store.source)) for e in page
        ]
        return Feed(items=items, next_after=page[-1].position if page else after, head=head)

    return router


class Health(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    """Ready: both reachable (else 503, a problem naming which is not)."""

    status: Literal["ready"]
    database: str
    broker: str


# Not ready: the problem names each dependency and whether it answered.
NOT_READY = {
    "description": "A dependency did not answer within 2 s",
    "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def ops_router() -> APIRouter:
    router = Router(tags=["operations"])
    refresh = MetricsRefresh()

    @router.get("/healthz", summary="The process is alive", response_model=Health)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Database and broker reachable",
        response_model=Readiness,
        responses={503: NOT_READY},
    )
    async def readyz(runtime: RuntimeDep) -> JSONResponse | dict[str, str]:
        checks = {
            "database": await _check(ping(runtime.engine)),
            "broker": await _check(_reach(runtime.settings.kafka.bootstrap_servers)),
        }
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", **checks}
        response = problem(
            503, "Not ready", "A dependency is unreachable.", "not-ready", checks=checks
        )
        response.headers["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        return response

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def prometheus(runtime: RuntimeDep) -> Response:
        # Lag and dead-letter figures, measured at most every metrics_refresh_seconds.
        await refresh(runtime)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, timeout=2.0)
        return "ok"
    except Exception as exc:
        return f"unreachable: {exc!r}"


async def _reach(bootstrap_servers: str) -> None:
    """A TCP handshake with the first reachable bootstrap server."""
    errors = []
    for server in bootstrap_servers.split(","):
        parts = urlsplit(f"//{server.strip()}")
        try:
            _, writer = await asyncio.open_connection(parts.hostname, parts.port or 9092)
        except OSError as exc:
            errors.append(exc)
            continue
        writer.close()
        return
    raise ConnectionError(errors)


class _Telemetry:
    """Request latency by route template. Plain ASGI: Starlette's ``BaseHTTPMiddleware``
    runs each request in a task group with memory streams, a cost on every request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500  # an exception is answered 500 outside

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The route template, not the raw path: ids must not explode the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics.REQUEST_SECONDS.labels(
                self.service, scope["method"], route, str(status)
            ).observe(time.perf_counter() - started)


def install(app: FastAPI, spec: ServiceSpec) -> None:
    app.add_middleware(_Telemetry, service=spec.name)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")
    app.include_router(ops_router())
    app.include_router(feed_router())
