"""The kernel's HTTP hardening, on a small service built like the real ones: security
headers, CORS closed unless configured, body limits (JSON and uploads), rate limits on
the public endpoints."""

import re
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, File, UploadFile
from pydantic import BaseModel, ConfigDict

from tuopin_eventkit.security import auth
from tuopin_eventkit.security.auth import Principal, Role, Target, refusal
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.testing import client_for, offline, own_spec
from tuopin_eventkit.web.hardening import docs_csp
from tuopin_eventkit.web.localised import detail_in_chinese, prefers_chinese
from tuopin_eventkit.web.service import create_app


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


router = APIRouter()


@router.post("/v1/notes")
async def write(note: Note) -> dict[str, int]:
    return {"length": len(note.text)}


@router.post("/v1/files")
async def upload(file: Annotated[UploadFile, File()]) -> dict[str, int]:
    return {"size": len(await file.read())}


@router.get("/v1/notices")
async def notices() -> list[str]:
    return ["公示"]


ACCESS = {
    "POST /v1/notes": auth.Rule(auth.Access.WRITE),
    "POST /v1/files": auth.Rule(auth.Access.WRITE),
    "GET /v1/notices": auth.public(),
}


def service(tmp_path: Path, **settings: Any) -> FastAPI:
    spec = own_spec(tmp_path, "hardened", routers=[router], access=ACCESS)
    return create_app(spec, offline(tmp_path, **settings))


async def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    async with client_for(service(tmp_path)) as client:
        for response in [
            await client.get("/v1/notices"),
            await client.post("/v1/notes", json={"text": "x"}),
            await client.post("/v1/notes", json={"nope": 1}),  # 422 problem
            await client.get("/v1/events"),
            await client.get("/openapi.json"),
        ]:
            h = response.headers
            assert h["x-content-type-options"] == "nosniff"
            assert h["x-frame-options"] == "DENY"
            assert h["referrer-policy"] == "no-referrer"
            assert h["cache-control"] == "no-store"
            assert h["content-security-policy"].startswith("default-src 'none'")
            assert "strict-transport-security" not in h  # not configured for HTTPS


async def test_hsts_only_when_configured(tmp_path: Path) -> None:
    async with client_for(service(tmp_path, hsts_max_age_seconds=31536000)) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_the_docs_page_may_load_swagger_and_run_only_its_own_inline_script(
    tmp_path: Path,
) -> None:
    async with client_for(service(tmp_path)) as client:
        page = await client.get("/docs")
    csp = page.headers["content-security-policy"]
    assert page.status_code == 200
    assert "script-src 'self' 'sha256-" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "https:" not in csp  # nothing may be loaded from another host
    assert csp == docs_csp(page.content)  # the hash is that of the script served


URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_work_without_internet(tmp_path: Path, page: str) -> None:
    """Closed government networks reach no CDN: every script, style and icon the pages
    name is served by the service itself, and answers."""
    async with client_for(service(tmp_path)) as client:
        html = (await client.get(page)).text
        urls = {a or b for a, b in URL.findall(html)}
        assert urls, html
        assert not [u for u in urls if "//" in u], urls  # no absolute (other host) URL
        scripts = [u for u in urls if u.endswith(".js")]
        assert scripts
        for url in urls:
            asset = await client.get(url)
            assert asset.status_code == 200, url
        for url in scripts:
            asset = await client.get(url)
            assert "javascript" in asset.headers["content-type"]
            assert len(asset.content) > 100_000  # the real bundle, not a stub


async def test_cors_is_closed_by_default(tmp_path: Path) -> None:
    async with client_for(service(tmp_path)) as client:
        preflight = await client.options(
            "/v1/notes",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        simple = await client.get("/v1/notices", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405  # no CORS middleware: nothing answers OPTIONS
    assert "access-control-allow-origin" not in simple.headers


async def test_cors_allows_only_the_configured_origins(tmp_path: Path) -> None:
    app = service(tmp_path, cors_origins=["https://dashboard.gansu.example"])
    async with client_for(app) as client:
        allowed = await client.options(
            "/v1/notes",
            headers={
                "Origin": "https://dashboard.gansu.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        other = await client.get("/v1/notices", headers={"Origin": "https://evil.example"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://dashboard.gansu.example"
    assert "access-control-allow-origin" not in other.headers


async def test_a_json_body_over_the_limit_is_a_413_problem(tmp_path: Path) -> None:
    async with client_for(service(tmp_path, max_body_bytes=1000)) as client:
        fits = await client.post("/v1/notes", json={"text": "x" * 900})
        announced = await client.post("/v1/notes", json={"text": "x" * 2000})

        async def chunks():  # no Content-Length: the bytes are counted as they stream
            for _ in range(10):
                yield b'{"text": "' + b"x" * 200

        streamed = await client.post(
            "/v1/notes", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert fits.status_code == 200
    for response in (announced, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_file_route_has_its_own_larger_limit(tmp_path: Path) -> None:
    app = service(tmp_path, max_body_bytes=1000, max_upload_bytes=10_000)
    async with client_for(app) as client:
        fits = await client.post("/v1/files", files={"file": ("a.csv", b"x" * 5000)})
        too_big = await client.post("/v1/files", files={"file": ("a.csv", b"x" * 20_000)})
        # A JSON route does not get the upload limit by sending a form.
        form = await client.post("/v1/notes", files={"file": ("a.csv", b"x" * 5000)})
    assert fits.status_code == 200 and fits.json() == {"size": 5000}
    assert too_big.status_code == 413
    assert form.status_code == 413


@pytest.mark.parametrize("who", [None, "admin"])
async def test_public_endpoints_are_rate_limited_per_client(tmp_path: Path, who) -> None:
    app = service(tmp_path, public_rate_limit="3/minute")
    async with client_for(app, **({"who": None} if who is None else {})) as client:
        answers = [await client.get("/v1/notices") for _ in range(4)]
        health = [await client.get("/healthz") for _ in range(10)]
        private = await client.get("/v1/events")
        other_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.2", 1234)),
            base_url="http://test",
        )
        async with other_client:
            fresh = await other_client.get("/v1/notices")
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.json()["type"].endswith("/rate-limited")
    assert all(h.status_code == 200 for h in health)  # probes are never limited
    assert private.status_code in (200, 401)  # authenticated routes are not counted
    assert fresh.status_code == 200  # another client has its own budget


async def test_problem_titles_are_in_chinese_with_the_english_when_the_caller_prefers_it(
    tmp_path: Path,
) -> None:
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    async with client_for(service(tmp_path, max_body_bytes=1000)) as client:
        invalid = await client.post("/v1/notes", json={"nope": 1}, headers=zh)
        large = await client.post("/v1/notes", json={"text": "x" * 2000}, headers=zh)
        anonymous = await client.get(
            "/v1/events", headers={**zh, "Authorization": "Bearer not-a-token"}
        )
        english = await client.post(
            "/v1/notes", json={"nope": 1}, headers={"Accept-Language": "en-GB,zh;q=0.5"}
        )
        unsaid = await client.post("/v1/notes", json={"nope": 1})
        fine = await client.get("/v1/notices", headers=zh)
    assert invalid.status_code == 422
    assert invalid.json()["title"] == "请求无效（Invalid request）"
    assert invalid.json()["detail"] == (
        "请求不符合接口定义，详见 errors。（The request does not match the schema.）"
    )
    assert invalid.json()["errors"][0]["loc"] == ["body", "text"]  # the rest as it was
    assert invalid.headers["content-language"] == "zh-CN"
    assert invalid.headers["content-type"] == "application/problem+json"
    # Made by the kernel's middlewares and its auth, not by a route: the same.
    assert (large.status_code, large.json()["title"]) == (413, "请求体过大（Content too large）")
    assert anonymous.status_code == 401 and "www-authenticate" in anonymous.headers
    assert anonymous.json()["title"] == "未认证（Not authenticated）"
    assert large.json()["detail"] == (
        "请求体不得超过 1000 字节。（The request body is limited to 1000 bytes.）"
    )
    assert anonymous.json()["detail"].startswith("令牌无效：Not enough segments（invalid token:")
    for answer in (english, unsaid):
        assert answer.json()["title"] == "Invalid request"
        assert answer.json()["detail"] == "The request does not match the schema."
        assert "content-language" not in answer.headers
        assert "Accept-Language" in answer.headers["vary"]  # caches keep the two apart
    assert fine.json() == ["公示"] and "content-language" not in fine.headers


@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        ("zh-CN", True),
        ("zh", True),
        ("zh-Hans-CN,en;q=0.5", True),
        ("en;q=0.4,zh-CN;q=0.8", True),
        ("en-US,en;q=0.9,zh-CN;q=0.8", False),
        ("", False),
        (None, False),
        ("zhx, fr", False),
        ("zh;q=bad,en;q=0.1", False),
    ],
)
def test_which_callers_prefer_chinese(header: str | None, chinese: bool) -> None:
    assert prefers_chinese(header) is chinese


@pytest.mark.parametrize(
    ("detail", "chinese"),
    [
        (
            refusal(
                Principal("w", Role.COUNTY_OFFICER, region="621121"),
                "GET /v1/rollups",
                Target(region="620100"),
            ),
            "县级扶贫干部（621121）无权对 地区 620100 执行 GET /v1/rollups",
        ),
        (
            refusal(Principal("w", Role.COUNTY_OFFICER, region="621121"), "POST /v1/quotas"),
            "县级扶贫干部（621121）不能调用 POST /v1/quotas",
        ),
        (
            refusal(
                Principal("rcc", Role.BANK, org="gansu-rcc"),
                "GET /v1/loans",
                Target(org="other", org_role=Role.BANK),
            ),
            "银行（gansu-rcc）无权对 银行 other 执行 GET /v1/loans",
        ),
        (NotFound("no household 42"), "未找到贫困户 42"),
        (
            NotFound("no village 621121100201 as of 2016-01-01"),
            "未找到村 621121100201（截至 2016-01-01）",
        ),
        (
            "Idempotency-Key 'k-1' was already used for a different request",
            "Idempotency-Key 'k-1' 已用于另一个不同的请求",
        ),
        (
            "an authorization header with a bearer token is required",
            "须携带带有 Bearer 令牌的 authorization 请求头",
        ),
        (
            "POST /v1/households cannot check its scope",
            "POST /v1/households 无法核对访问范围，一律拒绝",
        ),
        ("a bearer token is required", "请求须携带 Bearer 令牌"),
        (
            "at most 60/minute per client on the public endpoints",
            "公开接口每个客户端最多 60/minute，请稍后再试",
        ),
        ("a service's own rule, said in English", None),  # left as written
    ],
)
def test_the_kernel_s_details_are_said_in_chinese(detail: object, chinese: str | None) -> None:
    assert detail_in_chinese(str(detail)) == chinese
