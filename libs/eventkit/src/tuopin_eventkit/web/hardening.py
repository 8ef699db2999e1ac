"""HTTP hardening every service gets from the kernel: security headers, CORS closed unless
configured, request body limits, and rate limits on the public endpoints.

Each piece is configured in ``ServiceSettings`` (see ``settings.py``) and installed by
``install``; a service declares nothing for it.
"""

import base64
import hashlib
import math
import re
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import MutableHeaders
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.routing import compile_path, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuopin_eventkit.web.docs import PAGES
from tuopin_eventkit.web.problems import MEDIA_TYPE, body, problem

if TYPE_CHECKING:
    from tuopin_eventkit.settings import ServiceSettings

# --- security headers ------------------------------------------------------------------------

# An API answer is data, never a page: it may load nothing and be framed by nobody.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# The /docs (Swagger UI) and /redoc pages load their bundles and styles from the service
# itself (see docs.py), ReDoc a search worker from a blob: URL, and both set inline styles.
# Their one inline <script> (Swagger UI's start-up) is allowed by its hash, computed from
# the page actually served (it names the OpenAPI URL, which depends on the proxy's root
# path), so no 'unsafe-inline' script is ever allowed. Nothing is loaded from elsewhere.
DOCS_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' {hashes}",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "worker-src blob:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Answers carry personal data: no shared or browser cache keeps them. A response that
    # means to be cached (the dashboard's assets, revalidated by ETag) sets its own.
    "Cache-Control": "no-store",
}


def docs_csp(page: bytes) -> str:
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return DOCS_CSP.format(hashes=hashes).replace("  ", " ")


class SecurityHeaders:
    """Adds the security headers to every answer that does not set its own (the evaluation
    dashboard sets a stricter page policy of its own; it is kept)."""

    def __init__(self, app: ASGIApp, docs_paths: Iterable[str], hsts: str | None) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.headers = {**BASE_HEADERS, **({"Strict-Transport-Security": hsts} if hsts else {})}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        if path in self.docs_paths:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add(MutableHeaders(scope=message), API_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _add(self, headers: MutableHeaders, csp: str) -> None:
        for name, value in {**self.headers, "Content-Security-Policy": csp}.items():
            if name not in headers:
                headers[name] = value

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A documentation page is small and static: hold it whole to hash its script."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            page = b"".join(chunks)
            self._add(MutableHeaders(scope=start), docs_csp(page))
            await send(start)
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, hold)


# --- request body limits ---------------------------------------------------------------------


class BodyLimits:
    """Starlette's body limit (Content-Length checked before reading, streamed bytes
    counted), with the limit chosen by route: routes that take files (a multipart form,
    e.g. the registry's bulk import) get ``max_upload``, every other route ``max_body``.
    An announced body over the limit is refused at once, with a problem, before the app
    runs; a body that grows past it while read raises a 413 the problem handler answers."""

    def __init__(self, app: ASGIApp, api: FastAPI, max_body: int, max_upload: int) -> None:
        self.app = app
        self.api = api
        self.limits = {False: max_body, True: max_upload}
        self.limited = {
            False: RequestBodyLimitMiddleware(app, max_body),
            True: RequestBodyLimitMiddleware(app, max_upload),
        }
        self._uploads: list[tuple[str, re.Pattern[str]]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = get_route_path(scope)
        upload = any(
            method == scope["method"] and pattern.match(path) for method, pattern in self.uploads()
        )
        limit = self.limits[upload]
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large(limit)(scope, receive, send)
            return
        await self.limited[upload](scope, receive, send)

    def uploads(self) -> list[tuple[str, re.Pattern[str]]]:
        """The operations whose request body is a multipart form, found once from the
        OpenAPI document (every route is there by the first request)."""
        if self._uploads is None:
            self._uploads = [
                (method.upper(), compile_path(path)[0])
                for path, operations in self.api.openapi()["paths"].items()
                for method, operation in operations.items()
                if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
            ]
        return self._uploads


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length before the app sees it
    return None


def too_large(limit: int) -> JSONResponse:
    return problem(
        413,
        "Content too large",
        f"The request body is limited to {limit} bytes.",
        "content-too-large",
        max_bytes=limit,
    )


# --- rate limits -----------------------------------------------------------------------------


class RateLimited(Exception):
    """A client called the public endpoints more often than allowed (HTTP 429)."""

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"at most {limit} per client on the public endpoints")
        self.limit = limit
        self.retry_after = retry_after


class PublicRateLimit:
    """A moving window per client IP over all public endpoints together (a scraper of
    public notices does not get a budget per route), but for those whose access rule is
    not ``rate_limited`` (health, readiness, metrics, a page's static files). The storage
    is in process by default; replicas behind one balancer may share one (``redis://…``)
    by setting."""

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.text = limit
        self.item = parse(limit)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    async def check(self, request: Request) -> None:
        # The peer address; behind a proxy named in ``forwarded_allow_ips`` uvicorn makes it
        # the client's (X-Forwarded-For from that proxy only; see ``server_options``).
        client = request.client.host if request.client else "unknown"
        if await self.limiter.hit(self.item, "public", client):
            return
        stats = await self.limiter.get_window_stats(self.item, "public", client)
        raise RateLimited(self.text, max(1, math.ceil(stats.reset_time - time.time())))


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        body(429, "Too many requests", str(exc), "rate-limited", retry_after=exc.retry_after),
        status_code=429,
        media_type=MEDIA_TYPE,
        headers={"Retry-After": str(exc.retry_after)},
    )


# --- installation ----------------------------------------------------------------------------

# What a browser on an allowed origin may send and read (bearer tokens, no cookies).
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Correlation-ID",
]
CORS_RESPONSE_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "X-Correlation-ID",
    "Idempotent-Replayed",
    "Content-Disposition",
]


def server_options(settings: "ServiceSettings") -> dict[str, Any]:
    """uvicorn's proxy options from the settings. uvicorn on its own believes
    X-Forwarded-For from 127.0.0.1, so on a laptop any local caller could name another
    client address each time and never meet the rate limit; here only the proxies listed in
    ``forwarded_allow_ips`` are believed, and none by default."""
    if not settings.forwarded_allow_ips:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.forwarded_allow_ips)}


def install(app: FastAPI, settings: "ServiceSettings") -> None:
    """Middleware, outermost last: headers on every answer (413, 429 and CORS ones too),
    then CORS, then the body limits."""
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_middleware(
        BodyLimits,
        api=app,
        max_body=settings.max_body_bytes,
        max_upload=settings.max_upload_bytes,
    )
    if settings.cors_origins:  # closed by default: no CORS answer at all
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_RESPONSE_HEADERS,
            allow_credentials=False,
            max_age=600,
        )
    hsts = None
    if settings.hsts_max_age_seconds:
        hsts = f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"
    app.add_middleware(SecurityHeaders, docs_paths=PAGES, hsts=hsts)
