"""Evaluation's leadership dashboard reads loans' portfolio and funds from the browser, on
another origin (each service has its own host). Loans answers a CORS preflight from the
origin it is configured with (TUOPIN_LOANS_CORS_ORIGINS), and from no other; its answers,
refusals included, carry the header, so the page can tell a 403 from a network failure."""

from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer, client_for
from tuopin_loans.config import LoansSettings
from tuopin_loans.entrypoints.app import app

DASHBOARD = "https://evaluation.tuopin.example"
PORTFOLIO = "/v1/reports/portfolio"


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }


async def test_loans_answers_the_dashboards_preflight_and_no_other_origins(
    database_url, kafka_settings
) -> None:
    settings = LoansSettings(
        database_url=database_url,
        kafka=kafka_settings,
        cors_origins=[DASHBOARD],
        log_level="WARNING",
    )
    officer = Principal("county-office", Role.COUNTY_OFFICER, region="621121")
    async with client_for(app(settings)) as client:
        allowed = await client.options(PORTFOLIO, headers=preflight(DASHBOARD))
        assert allowed.status_code == 200, allowed.text
        assert allowed.headers["access-control-allow-origin"] == DASHBOARD
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert "GET" in allowed.headers["access-control-allow-methods"]
        assert "access-control-allow-credentials" not in allowed.headers  # bearer, no cookies

        for other in (
            "https://evil.example",
            "https://evaluation.tuopin.example.evil.example",
            "http://evaluation.tuopin.example",
        ):
            refused = await client.options(PORTFOLIO, headers=preflight(other))
            assert refused.status_code == 400, other
            assert "access-control-allow-origin" not in refused.headers, other

        # The request itself: the province's total, readable by the page.
        staff, county = bearer(AuthSettings(), ADMIN), bearer(AuthSettings(), officer)
        total = {"group": "total"}
        answer = await client.get(PORTFOLIO, params=total, headers={"Origin": DASHBOARD, **staff})
        assert answer.status_code == 200, answer.text
        assert answer.headers["access-control-allow-origin"] == DASHBOARD
        assert answer.json()[0]["total"] == "620000"
        # A county officer asking for the province is refused, and the page can read why.
        refused = await client.get(PORTFOLIO, params=total, headers={"Origin": DASHBOARD, **county})
        assert refused.status_code == 403
        assert refused.headers["access-control-allow-origin"] == DASHBOARD
        stranger = await client.get(PORTFOLIO, headers={"Origin": "https://evil.example", **staff})
        assert "access-control-allow-origin" not in stranger.headers


async def test_cors_stays_closed_when_no_origin_is_configured(database_url, kafka_settings) -> None:
    settings = LoansSettings(database_url=database_url, kafka=kafka_settings, log_level="WARNING")
    async with client_for(app(settings)) as client:
        answer = await client.options(PORTFOLIO, headers=preflight(DASHBOARD))
        assert "access-control-allow-origin" not in answer.headers
