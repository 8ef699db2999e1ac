"""HTTP pieces every service mounts: the event feed, stream history, health, metrics."""

import asyncio
import csv
import io
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import AwareDatetime, BaseModel, Field
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from tuopin_contracts import Envelope
from tuopin_contracts.bounds import Text
from tuopin_eventkit import auth, context, metrics, outage
from tuopin_eventkit.db import ping
from tuopin_eventkit.idempotency import Key, Outcome
from tuopin_eventkit.problems import problem
from tuopin_eventkit.service import RuntimeDep, ServiceSpec
from tuopin_eventkit.status import MetricsRefresh
from tuopin_eventkit.store import RecordedEvent

log = logging.getLogger(__name__)

IdempotencyKey = Annotated[
    Key | None,
    Header(description="The caller's own transaction id; a retry gets the first answer."),
]


IfMatch = Annotated[
    Annotated[Text, Field(max_length=40)] | None,
    Header(description='The version the change was decided on (ETag, e.g. "3"); else 409.'),
]


def expected_version(if_match: str | None) -> int | None:
    """The aggregate version named by an If-Match header, if any."""
    if if_match is None:
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        detail = f'If-Match must name a version such as "3", not {if_match}'
        raise HTTPException(400, detail) from None


def respond(outcome: Outcome, location: str | None = None) -> JSONResponse:
    """The answer to an idempotent command, marked when it replays the first one; the
    aggregate's version, when the body has one, is its ETag."""
    headers = {"Location": location} if location else {}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    if "version" in outcome.body:
        headers["ETag"] = f'"{outcome.body["version"]}"'
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def csv_attachment(text: str, filename: str) -> Response:
    """A CSV download, UTF-8 with a BOM so that spreadsheet programs read Chinese right."""
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_table(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """Rows as a CSV download (None as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return csv_attachment(out.getvalue(), filename)


def csv_records(
    records: Sequence[dict[str, Any]], filename: str, header: Sequence[str] = ()
) -> Response:
    """Records (dicts with the same keys) as a CSV download; ``header`` names the columns
    when there are no records to take them from."""
    columns = list(records[0]) if records else list(header)
    return csv_table(columns, ([r[c] for c in columns] for r in records), filename)


class FeedItem(BaseModel):
    position: int
    event: Envelope


class Feed(BaseModel):
    """A page of the service's event stream in commit order."""

    items: list[FeedItem]
    next_after: int
    head: int


class History(BaseModel):
    """One aggregate's events, oldest first (replayed up to ``as_of`` when given)."""

    subject: str
    as_of: datetime | None
    events: list[Envelope]


# Positions are 64-bit integers in the database; a larger one would be its error, a 500.
MAX_POSITION = 2**63 - 1  # databases count in signed 64-bit integers
# How many rows a listing skips (bounded, or a huge number overflows the database).
Offset = Annotated[int, Query(ge=0, le=MAX_POSITION)]


def feed_router() -> APIRouter:
    router = APIRouter(tags=["events"])

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


async def history(runtime: "RuntimeDep", subject: str, as_of: AwareDatetime | None) -> History:
    """The history of one stream, for a service's ``/v1/<things>/{id}/history`` route."""
    async with runtime.reader.connect() as conn:
        recorded: list[RecordedEvent] = await runtime.store.load(conn, subject, as_of)
    return History(
        subject=subject, as_of=as_of, events=[e.envelope(runtime.store.source) for e in recorded]
    )


def ops_router() -> APIRouter:
    router = APIRouter(tags=["operations"])
    refresh = MetricsRefresh()

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Database and broker reachable", response_model=None)
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


async def _check(probe: object) -> str:
    try:
        await asyncio.wait_for(probe, timeout=2.0)  # type: ignore[arg-type]
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


class _Telemetry(BaseHTTPMiddleware):
    """Request latency by route template."""

    def __init__(self, app: object, service: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.service = service

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # The route template, not the raw path: ids must not explode the label set.
        route = getattr(request.scope.get("route"), "path", "unmatched")
        metrics.REQUEST_SECONDS.labels(
            self.service, request.method, route, str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response


KERNEL_POLICY: auth.Policy = {
    "GET /healthz": auth.public(),
    "GET /readyz": auth.public(),
    "GET /metrics": auth.public(),
    # The whole stream, every region: the province and auditors.
    "GET /v1/events": auth.Rule(auth.Access.READ),
}
bearer = HTTPBearer(
    auto_error=False, description="A JWT from the OIDC provider (or `tuopin token`)"
)


async def authorize(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Every route's one access rule, checked before the route runs; the caller becomes
    the actor of the events the request causes. A route without a rule is refused."""
    runtime = request.app.state.runtime
    route = getattr(request.scope.get("route"), "path", request.url.path)
    rule = runtime.policy.get(f"{request.method} {route}")
    if rule is None:
        log.error("no access rule for %s %s: refused", request.method, route)
        raise auth.Forbidden(f"{request.method} {route} has no access rule")
    if rule.access == auth.Access.PUBLIC:
        await runtime.rate_limit.check(request, f"{request.method} {route}")
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise auth.Unauthenticated("a bearer token is required")
    who = runtime.verifier.verify(credentials.credentials)
    body = None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = None  # the route's own validation answers 422
    call = auth.Call(request.path_params, request.query_params, body, runtime)
    if not auth.permits(who, rule.access, await rule.scope(call)):
        raise auth.Forbidden(f"a {who.role} of {who.org or who.region or 'no scope'} may not")
    request.state.principal = who
    context.actor.set(who.actor)
    if rule.sees_personal_data:
        log.info("personal data read by %s: %s %s", who.actor, request.method, request.url.path)


def install(app: FastAPI, spec: ServiceSpec) -> None:
    app.add_middleware(_Telemetry, service=spec.name)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Correlation-ID")
    app.include_router(ops_router())
    app.include_router(feed_router())
