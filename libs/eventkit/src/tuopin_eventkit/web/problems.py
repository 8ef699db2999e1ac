"""RFC 9457 problem details for every error a service answers (in the caller's language:
``localised``)."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from tuopin_eventkit import outage
from tuopin_eventkit.security import auth
from tuopin_eventkit.security.auth import Forbidden, Unauthenticated
from tuopin_eventkit.store.aggregate import Conflict, InvalidTransition, NotFound, RuleViolation
from tuopin_eventkit.store.idempotency import IdempotencyKeyReused
from tuopin_eventkit.store.store import ConcurrencyConflict

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://tuopin.gov.cn/problems/"


def body(
    status: int, title: str, detail: str | None = None, kind: str | None = None, **extensions: Any
) -> dict[str, Any]:
    problem: dict[str, Any] = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        problem["detail"] = detail
    problem.update(extensions)
    return problem


def problem(
    status: int, title: str, detail: str | None = None, kind: str | None = None, **extensions: Any
) -> JSONResponse:
    return JSONResponse(
        body(status, title, detail, kind, **extensions), status_code=status, media_type=MEDIA_TYPE
    )


# A command refused for the caller's reasons (not a bug, not an outage), answered 4xx.
# ValidationError: the event the caller's input makes breaks its contract (a period that
# ends before it starts) — the domains record the contracts' events as they are.
REFUSALS = (
    ConcurrencyConflict,
    InvalidTransition,
    NotFound,
    Conflict,
    RuleViolation,
    IdempotencyKeyReused,
    ValidationError,
)


def describe(exc: Exception) -> dict[str, Any] | None:
    """The problem a refused command stands for, whether it came by HTTP or by Kafka;
    ``None`` for an error that is not the caller's (a bug, an outage)."""
    match exc:
        case ConcurrencyConflict():
            return body(
                409,
                "Concurrent modification",
                str(exc),
                "concurrency-conflict",
                stream=exc.stream_id,
                expected_version=exc.expected,
            )
        case InvalidTransition():
            return body(
                409,
                "Not allowed in the current state",
                str(exc),
                "invalid-transition",
                current_state=exc.state,
            )
        case NotFound():
            return body(404, "Not found", str(exc), "not-found")
        case Conflict():
            return body(409, "Conflict", str(exc), "conflict", **exc.details)
        case RuleViolation():
            return body(422, "Rule violated", str(exc), "rule-violation", **exc.details)
        case IdempotencyKeyReused():
            return body(422, "Idempotency key reused", str(exc), "idempotency-key-reused")
        case auth.Unauthenticated():
            return body(401, "Not authenticated", str(exc), "unauthenticated")
        case auth.Forbidden():
            return body(403, "Forbidden", str(exc), "forbidden")
        case ValidationError():
            errors = [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()
            ]
            return invalid(errors)
    return None


def invalid(errors: list[dict[str, Any]]) -> dict[str, Any]:
    return body(
        422,
        "Invalid request",
        "The request does not match the schema.",
        "invalid-request",
        errors=errors,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse(invalid(errors), status_code=422, media_type=MEDIA_TYPE)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail))

    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        described = describe(exc)
        assert described is not None
        return JSONResponse(described, status_code=described["status"], media_type=MEDIA_TYPE)

    for refusal in REFUSALS:
        app.add_exception_handler(refusal, _refused)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(request: Request, exc: Unauthenticated) -> JSONResponse:
        response = problem(401, "Not authenticated", str(exc), "unauthenticated")
        response.headers["WWW-Authenticate"] = 'Bearer realm="tuopin"'
        return response

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", str(exc), "forbidden")

    async def _failed(request: Request, exc: Exception) -> JSONResponse:
        if outage.transient(exc):
            log.warning("outage on %s %s: %r", request.method, request.url.path, exc)
            return unavailable()
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "The error was logged; nothing was written.")

    # What an outage arrives as, handled inside the app; anything else (and an outage
    # raised by a middleware) reaches the catch-all, which Starlette re-raises to the server.
    for suspect in outage.SUSPECTS:
        app.add_exception_handler(suspect, _failed)
    app.add_exception_handler(Exception, _failed)


def unavailable() -> JSONResponse:
    """503 with Retry-After: the database is unreachable (an ``outage``), not a bug."""
    detail = (
        f"The database is unreachable; retry in {outage.RETRY_AFTER_SECONDS} s (with the same "
        "Idempotency-Key a retry never writes twice)."
    )
    response = problem(503, "Service unavailable", detail, "unavailable")
    response.headers["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
    return response


# The shape of every error answer, for the OpenAPI documents (extensions such as
# ``errors`` or ``current_state`` may follow, hence additionalProperties).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}


def document(app: FastAPI) -> None:
    """Make the OpenAPI document say what a 422 really is: FastAPI documents its own
    ``HTTPValidationError`` body, but every 422 here is a problem (see ``install``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = generate()
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answer = operation.get("responses", {}).get("422")
                if answer is not None and "HTTPValidationError" in str(answer.get("content")):
                    answer["content"] = {MEDIA_TYPE: {"schema": problem_ref}}
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = PROBLEM_SCHEMA
        if "HTTPValidationError" not in str(doc.get("paths")):
            schemas.pop("HTTPValidationError", None)
            schemas.pop("ValidationError", None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to extend the schema
