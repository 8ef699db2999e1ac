"""Chinese first: every problem answer in the caller's language, the English beside it.

A caller whose Accept-Language prefers Chinese gets each title, detail and listed message
of a problem (see ``problems``) in Chinese with the English kept beside it; anyone else the
English alone. The kernel's own details are in ``KERNEL``; a service adds its catalogue.
"""

import json
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tuopin_eventkit.chinese import Catalogue
from tuopin_eventkit.web.problems import MEDIA_TYPE

# Every title a problem is answered with (the kernel's and the HTTP phrases the framework
# uses), in Chinese. A caller whose Accept-Language prefers Chinese gets "未找到（Not
# found）"; anyone else the English alone, as before. Details: KERNEL below.
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
    "Missing idempotency key": "缺少幂等键",
    "Invalid idempotency key": "幂等键无效",
    "Identity erased": "身份信息已删除",
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
# service adds the catalogue of its own rules' texts (``ServiceSpec.messages``); a detail
# no pattern matches stays as written.
KERNEL = Catalogue(
    [
        (r"a bearer token is required", "请求须携带 Bearer 令牌"),
        (r"invalid token: (?P<why>.+)", "令牌无效：{why}"),
        (
            r"an? (?P<role>[a-z_]+) of (?P<scope>.+?) may not (?P<action>.+?) for (?P<target>.+)",
            "{role}（{scope}）无权对 {target} 执行 {action}",
        ),
        (
            r"an? (?P<role>[a-z_]+) of (?P<scope>.+?) may not (?P<action>.+?): not open to .+",
            "{role}（{scope}）不能调用 {action}",
        ),
        (r"(?P<action>[A-Z]+ \S+) has no access rule", "{action} 未声明访问规则，一律拒绝"),
        (r"The request does not match the schema\.", "请求不符合接口定义，详见 errors。"),
        (r"The request body is limited to (?P<limit>\d+) bytes\.", "请求体不得超过 {limit} 字节。"),
        (
            r"at most (?P<limit>.+) per client on the public endpoints",
            "公开接口每个客户端最多 {limit}，请稍后再试",
        ),
        (r"The error was logged; nothing was written\.", "错误已记录，未写入任何数据。"),
        (
            r"The database is unreachable; retry in (?P<seconds>\d+) s .*",
            "数据库暂时无法连接，请 {seconds} 秒后重试"
            "（带同一 Idempotency-Key 的重试不会重复写入）。",
        ),
        (r"set the (?P<header>\S+) header", "请设置 {header} 请求头"),
        (
            r"the (?P<header>\S+) header must be 1 to 255 characters without NUL",
            "{header} 请求头须为 1 至 255 个字符，且不含 NUL",
        ),
        (
            r"an authorization header with a bearer token is required",
            "须携带带有 Bearer 令牌的 authorization 请求头",
        ),
        (r"(?P<action>[A-Z]+ \S+) cannot check its scope", "{action} 无法核对访问范围，一律拒绝"),
        (
            r"If-Match must name a version such as \"3\", not (?P<v>.*)",
            'If-Match 须为版本号（如 "3"），而不是 {v}',
        ),
        (
            r"stream (?P<stream>\S+) is at version (?P<actual>-?\d+), the command expected "
            r"(?P<expected>-?\d+)",
            "数据流 {stream} 当前版本为 {actual}，而命令预期为 {expected}：请重新读取后再提交",
        ),
        (
            r"Idempotency-Key (?P<key>.+) was already used for a different request",
            "Idempotency-Key {key} 已用于另一个不同的请求",
        ),
        (r"A dependency is unreachable\.", "所依赖的服务暂时无法连接。"),
        (r"Not Found", "未找到"),
        # the schema's errors (pydantic's "msg" of each item of ``errors``), the common ones
        (r"Field required", "必填字段缺失"),
        (r"Extra inputs are not permitted", "不允许的多余字段"),
        (r"String should have at least (?P<n>\d+) characters?", "字符串至少须有 {n} 个字符"),
        (r"String should have at most (?P<n>\d+) characters?", "字符串最多 {n} 个字符"),
        (r"String should match pattern (?P<p>.+)", "字符串须符合格式 {p}"),
        (r"Input should be greater than or equal to (?P<n>\S+)", "应大于或等于 {n}"),
        (r"Input should be greater than (?P<n>\S+)", "应大于 {n}"),
        (r"Input should be less than or equal to (?P<n>\S+)", "应小于或等于 {n}"),
        (r"Input should be less than (?P<n>\S+)", "应小于 {n}"),
        (
            r"Input should be a valid (?P<t>integer|string|date|datetime|number|boolean|list|"
            r"dictionary|UUID)\b.*",
            "应为有效的{t}",
        ),
        (r"Input should be (?P<options>'.+)", "应为以下之一：{options}"),
        (r"Method Not Allowed", "不允许的请求方法"),
        (r"invalid resident ID number (?P<p>.*?): (?P<why>.+)", "身份证号码（{p}）无效：{why}"),
        # aggregate.InvalidTransition: the service's catalogue has the words (its commands,
        # aggregates and states).
        (
            r"cannot (?P<command>.+?): the (?P<aggregate>.+?) is (?P<state>.+)",
            "{aggregate}当前为“{state}”，不能{command}",
        ),
        (r"no (?P<thing>[a-z_]+) (?P<id>\S+)(?P<rest>.*)", "未找到{thing} {id}{rest}"),
        # http.when: which view found nothing (after a 404's subject)
        (r" as of (?P<day>\S+) as known at (?P<at>.+)", "（截至 {day}，按 {at} 时所知）"),
        (r" as of (?P<day>\S+)", "（截至 {day}）"),
        (r" as known at (?P<at>.+)", "（按 {at} 时所知）"),
    ],
    # The words those details carry: roles, what a request touches, what was not found.
    {
        "province_admin": "省扶贫办",
        "city_officer": "市级扶贫干部",
        "county_officer": "县级扶贫干部",
        "township_officer": "乡镇干部",
        "village_cadre": "村干部",
        "bank": "银行",
        "training_centre": "培训机构",
        "evaluator": "第三方评估机构",
        "auditor": "审计",
        "no scope": "无范围",
        "the whole province": "全省",
        "household": "贫困户",
        "village": "村",
        "county": "县",
        "assessment": "评估",
        "warning": "返贫预警",
        "loan": "贷款",
        "certificate": "证书",
        "centre": "培训机构",
        "region": "地区",
        "integer": "整数",
        "string": "字符串",
        "date": "日期",
        "datetime": "日期时间",
        "number": "数字",
        "boolean": "布尔值",
        "list": "列表",
        "dictionary": "对象",
        # why a resident ID number is invalid (identity.resident)
        "the check digit (ISO 7064 MOD 11-2 checksum) is wrong": "校验码错误",
        "The number has an invalid length.": "位数不对（应为 18 位）",
        "The number has an invalid format.": "格式不对（前 17 位应为数字）",
        "the birth date (digits 7 to 14) is not a real date": "出生日期（第 7–14 位）不是真实日期",
        "the birth date (digits 7 to 14) is in the future": "出生日期（第 7–14 位）晚于今天",
        "the area code (first six digits) was never issued in GB/T 2260": (
            "地区码（前 6 位）从未在 GB/T 2260 中发布"
        ),
    },
    worded={"role", "scope", "target", "thing"},  # a word, then a code: "region 620100"
)


def detail_in_chinese(detail: str, catalogue: Catalogue = KERNEL) -> str | None:
    return catalogue.chinese(detail)


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


# The standard members of a problem; any other is an extension, whose messages (a list of
# them, or of objects with a "message") are said in Chinese as the detail is.
STANDARD = frozenset({"type", "title", "status", "detail", "instance"})
SAID = ("message", "msg", "detail")


def localise(problem: dict[str, Any], catalogue: Catalogue = KERNEL) -> dict[str, Any]:
    """The problem in Chinese, the English beside each part the catalogue knows."""
    title, detail = problem.get("title"), problem.get("detail")
    zh = TITLES_ZH.get(title) if isinstance(title, str) else None
    said = catalogue.chinese(detail) if isinstance(detail, str) else None
    extensions = {
        name: [_item(item, catalogue) for item in value]
        for name, value in problem.items()
        if name not in STANDARD and isinstance(value, list)
    }
    return (
        problem
        | ({"title": f"{zh}（{title}）"} if zh else {})
        | ({"detail": f"{said}（{detail}）"} if said else {})
        | extensions
    )


def _item(item: Any, catalogue: Catalogue) -> Any:
    if isinstance(item, str):
        return catalogue.beside(item)
    if isinstance(item, dict):
        return item | {k: catalogue.beside(v) for k in SAID if isinstance(v := item.get(k), str)}
    return item


class Localised:
    """Every problem answer (whoever made it: a route, the kernel, a middleware) in the
    caller's language: its title, its detail and each message its extensions list, in
    Chinese with the English beside it when Accept-Language prefers Chinese, as
    ``catalogue`` (the service's and the kernel's) says them. Problems say
    ``Vary: Accept-Language`` either way."""

    def __init__(self, app: ASGIApp, catalogue: Catalogue = KERNEL) -> None:
        self.app = app
        self.catalogue = catalogue

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
                page = json.dumps(
                    localise(json.loads(b"".join(chunks)), self.catalogue), ensure_ascii=False
                )
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
