"""The leadership dashboard (领导看板): one static page with its script and stylesheet,
served by the service itself. There is no build step and no CDN. Plain JavaScript fetches
the JSON endpoints (/v1/rollups, /v1/stats, /v1/assessments) for the viewer's own region,
fills in the summary and the table of the regions below it, and draws the incidence chart
as inline SVG; regions are named from the shared region table (``regions.json``). ``map.js``
draws the counties as SVG paths from vendored boundaries (``gansu-counties.json``).

The page, script and stylesheet sit in the ``dashboard/`` folder beside this module. Only
the files named here are served, and every response carries a strict
Content-Security-Policy: everything comes from this origin and nothing is inline.

The loans panel's figures (portfolio, PAR30/NPL, subsidy, fund balances) are the loans
service's: the page fetches them from loans itself, cross-origin with the viewer's token,
when ``loans_url`` is set (``/dashboard/config`` tells the page where; the page's policy
lets it connect to that origin and no other; loans allows this origin by CORS).

The page and its assets use relative URLs (``dashboard/dashboard.js``, ``v1/rollups``), so
the dashboard also works when the service sits behind a proxy under a path prefix.
"""

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import Header, HTTPException, Query, Response
from pydantic import BaseModel

from tuopin_contracts.bounds import NO_NUL
from tuopin_contracts.reference.regions import gansu
from tuopin_evaluation.config import EvaluationSettings
from tuopin_eventkit.web.http import Router
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep

ASSETS = Path(__file__).with_name("dashboard")

CONTENT_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "map.js": "text/javascript; charset=utf-8",
    "map.css": "text/css; charset=utf-8",
    # County boundaries vendored by tools/vendor_map.py (`make vendor-map`), with their licence.
    "gansu-counties.json": "application/json",
    "gansu-counties.NOTICE.txt": "text/plain; charset=utf-8",
    "icon.svg": "image/svg+xml",
    # The sign-in page (signin.py) and its OIDC client, vendored by tools/vendor_oidc.py.
    "signin.html": "text/html; charset=utf-8",
    "signin.js": "text/javascript; charset=utf-8",
    "oauth4webapi.js": "text/javascript; charset=utf-8",
    "oauth4webapi.NOTICE.txt": "text/plain; charset=utf-8",
    "regions.json": "application/json",  # made from the shared region table, not a file
}


def content_security_policy(*connect: str) -> str:
    """Everything from this origin; ``connect`` adds origins the script may fetch from (the
    sign-in page's OIDC provider)."""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            " ".join(["connect-src 'self'", *connect]),
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidate with the ETag: a new release shows at once
}

router = Router(tags=["dashboard"])


def _region_names() -> bytes:
    """Code -> name of the province, its cities and counties: the page names every region
    from the one table every service reads (tuopin_contracts.reference)."""
    return json.dumps({r.code: r.name for r in gansu()}, ensure_ascii=False).encode()


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """A file's bytes and a strong ETag, read once per process."""
    body = _region_names() if name == "regions.json" else (ASSETS / name).read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def serve(name: str, if_none_match: str | None, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    body, etag = _asset(name)
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": policy, "ETag": etag}
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=CONTENT_TYPES[name], headers=headers)


IfNoneMatch = Annotated[str | None, Header(include_in_schema=False)]
# The page reads it and passes it on to the JSON endpoints, which check it (a bad day is
# the page's error message, not a 422 instead of the page).
AsOfDay = Annotated[
    str | None,
    Query(max_length=40, pattern=NO_NUL, description="A past day to show (YYYY-MM-DD)"),
]

# The region shown (drill-down); the page checks it is within the viewer's own region and
# the JSON endpoints enforce that.
RegionShown = Annotated[
    str | None,
    Query(max_length=40, pattern=NO_NUL, description="A region within the viewer's own"),
]


@router.get(
    "/dashboard",
    response_class=Response,
    summary="Leadership dashboard (领导看板): the viewer's region, the regions beneath "
    "(?region= drills down), incidence chart, trends 2014–2020 against the targets, "
    "third-party assessments; ?as_of=YYYY-MM-DD shows a past day",
    responses={200: {"content": {"text/html": {}}}},
)
async def dashboard(
    runtime: RuntimeDep,
    if_none_match: IfNoneMatch = None,
    as_of: AsOfDay = None,
    region: RegionShown = None,
) -> Response:
    # ?as_of= and ?region= are declared because a route refuses any query parameter it does
    # not declare.
    loans = _settings(runtime).loans_origin
    return serve("index.html", if_none_match, content_security_policy(*filter(None, [loans])))


class DashboardConfig(BaseModel):
    """Where the page fetches what evaluation does not hold: ``loans_url``, the loans
    service as the browser reaches it (None: not configured, the panel says so)."""

    loans_url: str | None = None


def _settings(runtime: Runtime) -> EvaluationSettings:
    settings = runtime.settings
    assert isinstance(settings, EvaluationSettings)
    return settings


@router.get(
    "/dashboard/config",
    response_model=DashboardConfig,
    summary="Where the dashboard fetches the loans service's figures (loans_url)",
)
async def dashboard_config(runtime: RuntimeDep, response: Response) -> DashboardConfig:
    response.headers["Cache-Control"] = "no-cache"
    return DashboardConfig(loans_url=_settings(runtime).loans_url)


@router.get("/dashboard/{name}", include_in_schema=False)
async def dashboard_asset(name: str, if_none_match: IfNoneMatch = None) -> Response:
    if name not in CONTENT_TYPES or name.endswith(".html"):
        raise HTTPException(404, f"no dashboard file {name}")
    return serve(name, if_none_match)
