"""RFC 9457 problem details for every error a service answers."""

import json
import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuopin_eventkit import auth, outage
from tuopin_eventkit.aggregate import Conflict, InvalidTransition, NotFound, RuleViolation
from tuopin_eventkit.auth import Forbidden, Unauthenticated
from tuopin_eventkit.idempotency import IdempotencyKeyReused
from tuopin_eventkit.store import ConcurrencyConflict

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
    ConcurrencyConflict, InvalidTransition, NotFound, Conflict, RuleViolation, IdempotencyKeyReused,
    ValidationError,
)  # fmt: skip


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
        422, "Invalid request", "The request does not match the schema.", "invalid-request",
        errors=errors,
    )  # fmt: skip


# --- Chinese first: the title in zh-CN, the English beside it ------------------------------

# Every title a problem is answered with (the kernel's and the HTTP phrases the framework
# uses), in Chinese. A caller whose Accept-Language prefers Chinese gets "未找到（Not
# found）"; anyone else the English alone, as before. Details: DETAILS_ZH below.
TITLES_ZH = {
    "Concurrent modification": "并发修改冲突",
    "Not allowed in the current state": "当前状态下不允许此操作",
    "Not found": "未找到",
    "Conflict": "冲突",
    "Rule violated": "违反业务规则",
    "Idempotency key reused": "幂等键已用于另一请求",
    "Not authenticated": "未认证",
    "Forbidden": "无权访问",
    "Invalid request": "请求无效",
    "Internal error": "内部错误",
    "Service unavailable": "服务暂不可用",
    "Not ready": "服务未就绪",
    "Content too large": "请求体过大",
    "Too many requests": "请求过于频繁",
    "Unreadable file": "文件无法读取",
    "Bad Request": "请求错误",
    "Unauthorized": "未认证",
    "Not Found": "未找到",
    "Method Not Allowed": "不允许的请求方法",
    "Not Acceptable": "无法提供所要求的格式",
    "Unsupported Media Type": "不支持的媒体类型",
    "Unprocessable Content": "请求无法处理",
    "Unprocessable Entity": "请求无法处理",
    "Gone": "已不存在",
    "Precondition Failed": "前提条件不满足",
}


# Every detail the kernel itself writes, in Chinese, the English kept beside it as for the
# titles: (pattern of the whole English detail, Chinese with the pattern's groups). A
# detail no pattern matches (a service's own rule text) stays as written.
DETAILS_ZH = [
    (re.compile(pattern), chinese)
    for pattern, chinese in [
        (r"a bearer token is required", "请求须携带 Bearer 令牌"),
        (r"invalid token: (?P<why>.+)", "令牌无效：{why}"),
        (r"an? (?P<role>[a-z_]+) of (?P<scope>.+?) may not (?P<action>.+?) for (?P<target>.+)",
         "{role}（{scope}）无权对 {target} 执行 {action}"),
        (r"an? (?P<role>[a-z_]+) of (?P<scope>.+?) may not (?P<action>.+?): not open to .+",
         "{role}（{scope}）不能调用 {action}"),
        (r"(?P<action>[A-Z]+ \S+) has no access rule", "{action} 未声明访问规则，一律拒绝"),
        (r"The request does not match the schema\.", "请求不符合接口定义，详见 errors。"),
        (r"The request body is limited to (?P<limit>\d+) bytes\.", "请求体不得超过 {limit} 字节。"),
        (r"at most (?P<limit>.+) per client on the public endpoints",
         "公开接口每个客户端最多 {limit}，请稍后再试"),
        (r"The error was logged; nothing was written\.", "错误已记录，未写入任何数据。"),
        (r"The database is unreachable; retry in (?P<seconds>\d+) s .*",
         "数据库暂时无法连接，请 {seconds} 秒后重试"
         "（带同一 Idempotency-Key 的重试不会重复写入）。"),
        (r"no (?P<thing>[a-z_]+) (?P<id>\S+)(?P<rest>.*)", "未找到{thing} {id}{rest}"),
    ]
]  # fmt: skip
# The words those details carry: roles, what a request touches, what was not found.
WORDS_ZH = {
    "province_admin": "省扶贫办", "city_officer": "市级扶贫干部",
    "county_officer": "县级扶贫干部", "township_officer": "乡镇干部", "village_cadre": "村干部",
    "bank": "银行", "training_centre": "培训机构", "evaluator": "第三方评估机构",
    "auditor": "审计", "no scope": "无范围", "the whole province": "全省",
    "household": "贫困户", "village": "村", "county": "县", "assessment": "评估",
    "warning": "返贫预警", "loan": "贷款", "certificate": "证书", "centre": "培训机构",
}  # fmt: skip
WORDED = {"role", "scope", "target", "thing"}  # groups said in WORDS_ZH's words


def _word(value: str) -> str:
    if value in WORDS_ZH:
        return WORDS_ZH[value]
    kind, _, code = value.partition(" ")  # "region 621121", "bank gansu-rcc"
    return f"{WORDS_ZH.get(kind, '地区' if kind == 'region' else kind)} {code}" if code else value


def detail_in_chinese(detail: str) -> str | None:
    for pattern, chinese in DETAILS_ZH:
        if found := pattern.fullmatch(detail):
            said = found.groupdict()
            return chinese.format(**{k: _word(v) if k in WORDED else v for k, v in said.items()})
    return None


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether the caller's most wanted language (highest q, first on a tie) is Chinese."""
    best, best_q = "", 0.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > best_q:
            best, best_q = tag.lower(), q
    return best == "zh" or best.startswith("zh-")


def localise(problem: dict[str, Any]) -> dict[str, Any]:
    title, detail = problem.get("title"), problem.get("detail")
    zh = TITLES_ZH.get(title) if isinstance(title, str) else None
    said = detail_in_chinese(detail) if isinstance(detail, str) else None
    return (
        problem
        | ({"title": f"{zh}（{title}）"} if zh else {})
        | ({"detail": f"{said}（{detail}）"} if said else {})
    )


class Localised:
    """Every problem answer (whoever made it: a route, the kernel, a middleware) in the
    caller's language: its title, and its detail where the kernel wrote it, in Chinese with
    the English beside it when Accept-Language prefers Chinese. Problems say
    ``Vary: Accept-Language`` either way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chinese = prefers_chinese(Headers(scope=scope).get("accept-language"))
        start: Message | None = None
        chunks: list[bytes] = []

        async def translate(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not headers.get("content-type", "").startswith(MEDIA_TYPE):
                    await send(message)
                    return
                headers.append("Vary", "Accept-Language")
                if not chinese:
                    await send(message)
                    return
                start = message  # held until the whole (small) body is read
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            try:
                page = json.dumps(localise(json.loads(b"".join(chunks))), ensure_ascii=False)
                body, language = page.encode(), "zh-CN"
            except ValueError:  # not JSON after all: passed on as it came
                body, language = b"".join(chunks), None
            headers = MutableHeaders(scope=start)
            headers["Content-Length"] = str(len(body))
            if language:
                headers["Content-Language"] = language
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, translate)


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
