"""RFC 9457 problem details for every error a service answers."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tuopin_eventkit.aggregate import Conflict, InvalidTransition, NotFound, RuleViolation
from tuopin_eventkit.idempotency import IdempotencyKeyReused
from tuopin_eventkit.store import ConcurrencyConflict

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://tuopin.gov.cn/problems/"


def problem(
    status: int, title: str, detail: str | None = None, kind: str | None = None, **extensions: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return problem(
            422,
            "Invalid request",
            "The request does not match the schema.",
            "invalid-request",
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail))

    @app.exception_handler(ConcurrencyConflict)
    async def _conflict(request: Request, exc: ConcurrencyConflict) -> JSONResponse:
        return problem(
            409,
            "Concurrent modification",
            str(exc),
            "concurrency-conflict",
            stream=exc.stream_id,
            expected_version=exc.expected,
        )

    @app.exception_handler(InvalidTransition)
    async def _transition(request: Request, exc: InvalidTransition) -> JSONResponse:
        return problem(
            409,
            "Not allowed in the current state",
            str(exc),
            "invalid-transition",
            current_state=exc.state,
        )

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not found", str(exc), "not-found")

    @app.exception_handler(Conflict)
    async def _clash(request: Request, exc: Conflict) -> JSONResponse:
        return problem(409, "Conflict", str(exc), "conflict", **exc.details)

    @app.exception_handler(RuleViolation)
    async def _rule(request: Request, exc: RuleViolation) -> JSONResponse:
        return problem(422, "Rule violated", str(exc), "rule-violation")

    @app.exception_handler(IdempotencyKeyReused)
    async def _reused(request: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        return problem(422, "Idempotency key reused", str(exc), "idempotency-key-reused")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "The error was logged; nothing was written.")
