"""The dashboard's sign-in endpoints through the app: the development form mints what the
services accept for the dashboard's roles and regions, refuses anything else (422), and is
off (404) wherever a deployment is configured, where the page is told to sign in at the
OIDC provider instead."""

from typing import Any

from pydantic import SecretStr

from tuopin_evaluation.adapters.dashboard import CONTENT_SECURITY_POLICY
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import KafkaSettings
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings, Verifier
from tuopin_eventkit.testing import client_for

PROBLEM = "application/problem+json"


def quiet(database_url: str, kafka: KafkaSettings) -> dict[str, Any]:
    """Settings of a service that only answers HTTP: signing in reads no topic, and an app
    stopped while its consumers still join their groups can wait a long time to stop."""
    return {
        "database_url": database_url,
        "kafka": kafka,
        "run_projections": False,
        "run_relay": False,
    }


PROVIDER = AuthSettings(
    issuer="https://sso.tuopin.example/realms/tuopin",
    jwks_url="https://sso.tuopin.example/realms/tuopin/protocol/openid-connect/certs",
    client_id="tuopin-dashboard",
)


# The dashboard's roles, each with a region of its level (the auditor has none).
ALLOWED = [
    (Role.PROVINCE_ADMIN, "62"),
    (Role.CITY_OFFICER, "6211"),
    (Role.COUNTY_OFFICER, "621121"),
    (Role.TOWNSHIP_OFFICER, "621121100"),
    (Role.VILLAGE_CADRE, "621121100201"),
    (Role.AUDITOR, None),
]
REFUSED = [  # (request body, what the problem's errors say)
    ({"role": "bank", "region": "62"}, "role"),  # a partner has no dashboard by region
    ({"role": "evaluator", "region": "621121"}, "role"),
    ({"role": "root"}, "role"),
    ({"role": "county_officer", "region": "62"}, "6-digit region"),
    ({"role": "county_officer"}, "carries ['region']"),
    ({"role": "county_officer", "region": "629999"}, "no region 629999"),
    ({"role": "city_officer", "region": "6299"}, "no region 6299"),
    ({"role": "city_officer", "region": "621100"}, "4-digit region"),
    ({"role": "township_officer", "region": "621121000"}, "9-digit region"),
    ({"role": "auditor", "region": "62"}, "no scope"),
    ({"role": "county_officer", "region": "62112a"}, "pattern"),
    ({"role": "county_officer", "region": "621121", "org": "x"}, "extra"),
    ({"role": "province_admin", "region": "62", "subject": "a b"}, "pattern"),
]


async def test_embedded_sign_in_mints_a_token_for_the_chosen_role_and_region(
    database_url, kafka_settings
) -> None:
    settings = EvaluationSettings(**quiet(database_url, kafka_settings))
    async with client_for(app(settings), who=None) as client:
        config = await client.get("/signin/config")
        assert config.json() == {
            "mode": "development",
            "issuer": None,
            "client_id": None,
            "scope": None,
        }
        for role, region in ALLOWED:
            answer = await client.post("/signin/development", json={"role": role, "region": region})
            assert answer.status_code == 200, answer.text
            body = answer.json()
            assert (body["token_type"], body["expires_in"]) == ("Bearer", 8 * 3600)
            who = Verifier(settings.auth).verify(body["access_token"])
            assert who == Principal("developer", role, region=region)
            # The token opens the viewer's own region, and no more.
            signed_in = {"Authorization": f"Bearer {body['access_token']}"}
            if region is None or len(region) <= 6:  # the roll-ups go down to the county
                own = {"region": (region or "62").ljust(6, "0")}
                rollups = await client.get("/v1/rollups", params=own, headers=signed_in)
                assert rollups.status_code == 200, (role, rollups.text)
            if region and len(region) >= 4:
                other = {"region": "620100"}
                refused = await client.get("/v1/rollups", params=other, headers=signed_in)
                assert refused.status_code == 403, role


async def test_a_bad_role_or_region_is_refused_with_a_problem(database_url, kafka_settings) -> None:
    settings = EvaluationSettings(**quiet(database_url, kafka_settings))
    async with client_for(app(settings), who=None) as client:
        for request_body, why in REFUSED:
            answer = await client.post("/signin/development", json=request_body)
            assert answer.status_code == 422, (request_body, answer.text)
            assert answer.headers["content-type"] == PROBLEM
            problem = answer.json()
            assert problem["title"] == "Invalid request"
            assert why in str(problem["errors"]), (request_body, problem["errors"])
            assert "access_token" not in answer.text


async def test_development_sign_in_is_refused_when_a_production_issuer_is_configured(
    database_url, kafka_settings
) -> None:
    settings = EvaluationSettings(**quiet(database_url, kafka_settings), auth=PROVIDER)
    async with client_for(app(settings), who=None) as client:
        answer = await client.post(
            "/signin/development", json={"role": "province_admin", "region": "62"}
        )
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM
        assert "development sign-in is off" in answer.json()["detail"]
        assert "access_token" not in answer.text
        # The page signs in at the provider instead: its issuer and the dashboard's client.
        config = (await client.get("/signin/config")).json()
        assert config == {
            "mode": "oidc",
            "issuer": PROVIDER.issuer,
            "client_id": "tuopin-dashboard",
            "scope": "openid",
        }
        page = await client.get("/signin")
        assert page.status_code == 200 and 'id="oidc"' in page.text
        # The page's script may fetch from the provider, and from nowhere else.
        policy = page.headers["content-security-policy"]
        assert "connect-src 'self' https://sso.tuopin.example;" in policy
        assert policy.replace(" https://sso.tuopin.example", "") == CONTENT_SECURITY_POLICY


async def test_development_sign_in_is_off_in_a_production_environment_too(
    database_url, kafka_settings, monkeypatch
) -> None:
    # No issuer, but a deployment all the same: no sign-in at all, a client id without a
    # provider to sign in at included.
    monkeypatch.setenv("TUOPIN_ENVIRONMENT", "production")
    own_key = AuthSettings(
        signing_key=SecretStr("a-deployment-s-own-signing-key-" * 2), client_id="tuopin-dashboard"
    )
    settings = EvaluationSettings(**quiet(database_url, kafka_settings), auth=own_key)
    async with client_for(app(settings), who=None) as client:
        answer = await client.post("/signin/development", json={"role": "auditor"})
        assert answer.status_code == 404 and answer.headers["content-type"] == PROBLEM
        assert (await client.get("/signin/config")).json()["mode"] == "none"


async def test_the_sign_in_page_and_its_scripts_come_from_the_service(
    database_url, kafka_settings
) -> None:
    settings = EvaluationSettings(**quiet(database_url, kafka_settings))
    async with client_for(app(settings), who=None) as client:
        page = await client.get("/signin")
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "仅限开发环境" in page.text and "Development only" in page.text
        for name in ("signin.js", "oauth4webapi.js", "oauth4webapi.NOTICE.txt"):
            asset = await client.get(f"/dashboard/{name}")
            assert asset.status_code == 200, name
            assert "https://" not in asset.text or name.endswith(".txt")
        notice = (await client.get("/dashboard/oauth4webapi.NOTICE.txt")).text
        assert "oauth4webapi 3.8.8" in notice and "MIT License" in notice
        assert (await client.get("/dashboard/signin.html")).status_code == 404
