"""HTTP pieces every service builds its routes with: the headers and answers of a command,
CSV downloads, the "as of / known at" of a query, stream history, and ``Router``, whose
routes check the caller's access rule (the routes the kernel mounts itself: ``builtin``)."""

import csv
import functools
import inspect
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from tuopin_contracts import Envelope
from tuopin_contracts.bounds import BusinessDate, Instant, Text
from tuopin_eventkit import context
from tuopin_eventkit.security import auth
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Key, Outcome
from tuopin_eventkit.store.recorded import RecordedEvent
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep

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


class Responded(JSONResponse):
    """``respond``'s answer, holding the outcome it says, so that its route can check the
    body against the response model the route declares (``ScopedRoute``)."""

    def __init__(self, outcome: Outcome, headers: dict[str, str]) -> None:
        super().__init__(outcome.body, status_code=outcome.status_code, headers=headers)
        self.outcome = outcome

    def render(self, content: Any) -> bytes:
        """The body, JSON-ready already (``Outcome``), written by pydantic-core: the same
        compact UTF-8 as ``json.dumps`` at a fifth of its cost."""
        return to_json(content)


def respond(outcome: Outcome, location: str | None = None) -> JSONResponse:
    """The answer to an idempotent command, marked when it replays the first one; the
    aggregate's version, when the body has one, is its ETag. The route's response model
    (201 when it creates, else 200) is checked against the body as it goes out."""
    headers = {"Location": location} if location else {}
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    if "version" in outcome.body:
        headers["ETag"] = f'"{outcome.body["version"]}"'
    return Responded(outcome, headers)


# A CSV download route's keywords, so the API document names the answer text/csv (not an
# untyped JSON object): ``@router.get("/report.csv", **CSV_DOWNLOAD, summary=...)``.
CSV_DOWNLOAD: dict[str, Any] = {
    "response_class": Response,
    "responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
}


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


class Answer(BaseModel):
    """Base of every route's response model: an answer holding a field its model does
    not name fails (500 in the tests) rather than losing the field without a word."""

    model_config = ConfigDict(extra="forbid")


class History(BaseModel):
    """One aggregate's events in the order they were recorded: those true by the business
    date ``as_of`` and recorded by the instant ``known_at``, when given."""

    subject: str
    as_of: date | None = None
    known_at: datetime | None = None
    events: list[Envelope]


# The two times every "what was true then" query takes, named alike in every service.
AsOf = Annotated[
    BusinessDate | None,
    Query(
        description="Business date: the facts true by this day (业务日期), however late "
        "they were recorded"
    ),
]
KnownAt = Annotated[
    Instant | None,
    Query(
        description="Recording instant: only what had been recorded by then (the audit "
        "view); with as_of, what the books said on that date as known at that instant"
    ),
]


# Positions are 64-bit integers in the database; a larger one would be its error, a 500.
MAX_POSITION = 2**63 - 1  # databases count in signed 64-bit integers
# How many rows a listing skips (bounded, or a huge number overflows the database).
Offset = Annotated[int, Query(ge=0, le=MAX_POSITION)]


@dataclass(frozen=True)
class _Admitted:
    """A caller ``authorize`` let through to a route whose scope is still to be checked,
    on the validated request, by the route itself (``ScopedRoute``)."""

    who: auth.Principal
    rule: auth.Rule
    action: str  # "METHOD /route/{template}"
    asked: str  # "METHOD /the/path" asked for, for the personal-data log
    runtime: Runtime


# Handed from ``authorize`` (a dependency: it runs before the request is validated) to the
# endpoint wrapper of ``ScopedRoute`` (it runs with the validated values), in one task.
_admitted: ContextVar[_Admitted | None] = ContextVar("admitted", default=None)
# What the scope lookup of the route being called read (``auth.Target.found``).
_found: ContextVar[Any] = ContextVar("found", default=None)


def found() -> Any:
    """What the scope lookup of this request's route read to find its target, for a route
    that answers from that same read (one round trip, not two); None when its rule looked
    nothing up or found nothing."""
    return _found.get()


class ScopedRoute(APIRoute):
    """A route that checks its access rule's scope on the validated request: the very
    path parameters, query parameters and body model its endpoint is called with, so the
    check and the handler can never read two different values. (No dependency sees the
    endpoint's validated values, so the endpoint itself is wrapped; FastAPI reads the
    endpoint's own signature through ``functools.wraps``.)"""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, self._checked(endpoint), **kwargs)

    def _checked(self, endpoint: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(endpoint)
        async def checked(**values: Any) -> Any:
            admitted = _admitted.get()
            _found.set(None)
            if admitted is not None:
                _admitted.set(None)
                call = self._call(values, admitted.runtime)
                target = await auth.check(admitted.who, admitted.rule, call, admitted.action)
                _found.set(target.found)
                _log_personal_data(admitted)
            if inspect.iscoroutinefunction(endpoint):
                answer = await endpoint(**values)
            else:
                answer = await run_in_threadpool(endpoint, **values)
            if isinstance(answer, Responded):
                self._check_answer(answer.outcome)
            return answer

        return checked

    @functools.cached_property
    def _answer(self) -> TypeAdapter[Any]:
        """The response model (a model, or a union of them) as a validator."""
        return TypeAdapter(self.response_model)

    def _check_answer(self, outcome: Outcome) -> None:
        """A command's answer against the route's response model, as FastAPI checks what
        any other endpoint returns: a field the model does not name (``Answer`` forbids
        it) or one it lacks fails (a 500) rather than going out unsaid in the API
        document, and so does a status it does not declare (201 where a route creates,
        200 where it changes). A replay is the first answer as stored, not checked again."""
        if outcome.replayed or self.response_model is None:
            return
        declared = {self.status_code or 200, *(int(s) for s in self.responses if str(s).isdigit())}
        if outcome.status_code not in declared:
            raise ResponseValidationError(
                [{"msg": f"{outcome.status_code} is not an answer the route declares"}]
            )
        try:
            self._answer.validate_python(outcome.body)
        except ValidationError as exc:
            raise ResponseValidationError(exc.errors(), body=outcome.body) from exc

    def _call(self, values: dict[str, Any], runtime: Runtime) -> auth.Call:
        own = self.dependant
        bodies = {f.alias: values[f.name] for f in own.body_params}
        body = next(iter(bodies.values())) if len(bodies) == 1 else bodies or None
        path = {f.alias: values[f.name] for f in own.path_params}
        query: dict[str, Any] = {}
        for f in own.query_params:  # a query model's fields are the route's parameters
            model = _query_model(f)
            if model is None:
                query[f.alias] = values[f.name]
            else:
                fields = model.model_fields.items()
                query |= {i.alias or n: getattr(values[f.name], n) for n, i in fields}
        return auth.Call(path, query, body, runtime)


class Router(APIRouter):
    """The router every service builds its API with: its routes are ``ScopedRoute``s."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(route_class=ScopedRoute, **kwargs)


def when(as_of: date | None, known_at: datetime | None) -> str:
    """Which view found nothing, for a 404: " as of <day> as known at <instant>"."""
    return (f" as of {as_of}" if as_of else "") + (f" as known at {known_at}" if known_at else "")


async def history(
    runtime: "RuntimeDep",
    subject: str,
    as_of: date | None = None,
    known_at: datetime | None = None,
    *,
    of: str,
) -> History:
    """The history of one stream, for a service's ``/v1/<things>/{id}/history`` route; a
    404 naming the ``of`` thing (and the view) when it has none."""
    async with runtime.reader.connect() as conn:
        recorded: list[RecordedEvent] = await runtime.store.load(conn, subject, known_at, as_of)
    if not recorded:
        raise NotFound(f"no {of} {subject}" + when(as_of, known_at))
    return History(
        subject=subject,
        as_of=as_of,
        known_at=known_at,
        events=[e.envelope(runtime.store.source) for e in recorded],
    )


@dataclass(frozen=True)
class Past:
    """A ``/history`` route's reading of a stream: the two times, and the runtime."""

    runtime: RuntimeDep
    as_of: AsOf = None
    known_at: KnownAt = None

    async def of(self, subject: str, what: str) -> History:
        """The history of ``subject``, a ``what`` (named in the 404 when it has none)."""
        return await history(self.runtime, subject, self.as_of, self.known_at, of=what)


PastDep = Annotated[Past, Depends()]

bearer = HTTPBearer(
    auto_error=False, description="A JWT from the OIDC provider (or `tuopin token`)"
)


async def authorize(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    """Every route's one access rule, in two steps. Here, before the request is validated:
    the token (401), whether the caller's role may call the route at all (403), and no
    query parameter the route does not declare (422). Then, for a rule with a scope, the
    route checks it on the validated request its endpoint gets (``ScopedRoute``): 403
    naming the scope asked for, 404 for an id that names nothing. So a caller the route
    is for has bad input answered 422 or 404 first. The caller becomes the actor of the
    events the request causes. A route without a rule is refused."""
    _admitted.set(None)  # nothing left over from an earlier request in this context
    runtime = request.app.state.runtime
    route = request.scope.get("route")
    action = f"{request.method} {getattr(route, 'path', request.url.path)}"
    rule = runtime.access.get(action)
    if rule is None:
        log.error("no access rule for %s: refused", action)
        raise auth.Forbidden(f"{action} has no access rule")
    if rule.access == auth.Access.PUBLIC:
        if rule.rate_limited:
            await runtime.rate_limit.check(request)
        _refuse_undeclared(request, route)
        return
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise auth.Unauthenticated("a bearer token is required")
    who = runtime.verifier.verify(credentials.credentials)
    if not auth.may_call(who, rule):
        raise auth.refusal(who, action)
    _refuse_undeclared(request, route)
    request.state.principal = who
    context.actor.set(who.actor)
    admitted = _Admitted(who, rule, action, f"{request.method} {request.url.path}", runtime)
    if rule.scope.at is None:  # unscoped: the role was the whole question
        _log_personal_data(admitted)
    elif isinstance(route, ScopedRoute):
        _admitted.set(admitted)
    else:  # fail closed: nothing would check the scope
        log.error("%s is not a ScopedRoute (build it with http.Router): refused", action)
        raise auth.Forbidden(f"{action} cannot check its scope")


def _refuse_undeclared(request: Request, route: object) -> None:
    """A query parameter the route does not declare is refused (422, naming it): nothing
    reaches a route beside what it declares and validates, so no check and no handler
    can read a value the other did not."""
    declared = _query_names(route.dependant) if isinstance(route, APIRoute) else set()
    undeclared = sorted(set(request.query_params) - declared)
    if undeclared:
        takes = ", ".join(sorted(declared)) or "none"
        msg = f"not a parameter of this route (it takes: {takes})"
        raise RequestValidationError(
            [{"loc": ("query", name), "msg": msg, "type": "undeclared"} for name in undeclared]
        )


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' included."""
    names = set()
    for f in dependant.query_params:
        model = _query_model(f)
        names |= {i.alias or n for n, i in model.model_fields.items()} if model else {f.alias}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _query_model(field: Any) -> type[BaseModel] | None:
    """The model of a route's query parameters, when it takes them as one."""
    kind = field.field_info.annotation
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _log_personal_data(admitted: _Admitted) -> None:
    if admitted.rule.sees_personal_data:
        log.info("personal data read by %s: %s", admitted.who.actor, admitted.asked)
