"""What a deployment must not inherit from a laptop: the development keys (refused at
start-up once any deployment setting is present) and uvicorn's belief in X-Forwarded-For
from 127.0.0.1 (off unless the proxies are named)."""

from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict
from typer.testing import CliRunner

from tuopin_eventkit.cli import service_cli
from tuopin_eventkit.security import auth, tokens
from tuopin_eventkit.settings import DevelopmentKeys, ServiceSettings, refuse_development_keys
from tuopin_eventkit.testing import offline, own_spec
from tuopin_eventkit.web.hardening import server_options
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app

OIDC = tokens.AuthSettings(
    issuer="https://sso.gansu.example/realms/tuopin",
    jwks_url="https://sso.gansu.example/realms/tuopin/certs",
)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_GUARDED_", env_nested_delimiter="__")

    port: int = 8998
    database_url: str = "sqlite+aiosqlite:///:memory:"


router = APIRouter()


@router.get("/v1/notices")
async def notices() -> list[str]:
    return ["公示"]


def spec(tmp_path: Path) -> ServiceSpec:
    access = {"GET /v1/notices": auth.public()}
    return own_spec(tmp_path, "guarded", Settings, routers=[router], access=access)


def settings(tmp_path: Path, **values: Any) -> ServiceSettings:
    return offline(tmp_path, Settings, **values)


# --- the development keys --------------------------------------------------------------------


class VaultSettings(Settings):
    """A service with a secret of its own, like the registry's people key."""

    vault_key: SecretStr = SecretStr("development-vault-key")


class KeylessSettings(Settings):
    """A service that never reads the identity key (evaluation)."""

    unused_secrets = frozenset({"identity_key"})


def test_embedded_runs_on_the_development_keys() -> None:
    refuse_development_keys(VaultSettings(), environ={})


@pytest.mark.parametrize(
    ("values", "environ", "reason"),
    [
        ({"environment": "production"}, {}, "TUOPIN_GUARDED_ENVIRONMENT=production"),
        ({}, {"TUOPIN_ENVIRONMENT": "production"}, "TUOPIN_ENVIRONMENT=production"),
        (
            {"auth": tokens.AuthSettings(issuer=OIDC.issuer)},
            {},
            "an OIDC issuer (TUOPIN_GUARDED_AUTH__ISSUER)",
        ),
    ],
)
def test_a_deployment_setting_refuses_every_development_key(values, environ, reason) -> None:
    with pytest.raises(DevelopmentKeys) as refused:
        refuse_development_keys(VaultSettings(**values), environ=environ)
    message = str(refused.value)
    assert reason in message
    for variable in (
        "TUOPIN_GUARDED_IDENTITY_KEY",
        "TUOPIN_GUARDED_VAULT_KEY",
        "TUOPIN_GUARDED_AUTH__SIGNING_KEY",
    ):
        assert variable in message
    assert "development-" not in message  # named, never shown


def test_one_development_key_left_is_enough_to_refuse() -> None:
    almost = VaultSettings(
        environment="production",
        auth=tokens.AuthSettings(signing_key=SecretStr("s" * 48)),
        identity_key=SecretStr("own-identity-key"),
    )
    with pytest.raises(DevelopmentKeys, match=r"value of TUOPIN_GUARDED_VAULT_KEY: "):
        refuse_development_keys(almost, environ={})


def test_a_deployment_with_its_own_keys_starts() -> None:
    own = {"identity_key": SecretStr("own-identity-key"), "vault_key": SecretStr("own-vault")}
    # Tokens verified against the provider's JWKS: the local signing key is never used.
    refuse_development_keys(VaultSettings(auth=OIDC, **own), environ={})
    hs256 = tokens.AuthSettings(signing_key=SecretStr("s" * 48))
    refuse_development_keys(VaultSettings(environment="production", auth=hs256, **own), environ={})
    # A service that reads no resident-ID number is given no identity key.
    refuse_development_keys(KeylessSettings(auth=OIDC), environ={})
    with pytest.raises(DevelopmentKeys, match="TUOPIN_GUARDED_IDENTITY_KEY"):
        refuse_development_keys(Settings(auth=OIDC), environ={})


async def test_the_app_refuses_to_start_on_a_development_key(tmp_path: Path) -> None:
    app = create_app(spec(tmp_path), settings(tmp_path, environment="production"))
    with pytest.raises(DevelopmentKeys):
        async with app.router.lifespan_context(app):
            pass


def test_serve_refuses_before_listening(tmp_path: Path, monkeypatch) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    cli = service_cli(spec(tmp_path))
    refused = CliRunner().invoke(cli, ["serve"], env={"TUOPIN_GUARDED_ENVIRONMENT": "production"})
    assert refused.exit_code == 2
    assert "refusing to start" in refused.output and "TUOPIN_GUARDED_IDENTITY_KEY" in refused.output
    assert served == []
    started = CliRunner().invoke(cli, ["serve"], env={"TUOPIN_ENVIRONMENT": "development"})
    assert started.exit_code == 0, started.output
    (options,) = served
    assert options["proxy_headers"] is False  # embedded: no X-Forwarded-For believed


# --- whose X-Forwarded-For is believed -------------------------------------------------------


def behind_uvicorn(app: Any, configured: Settings) -> Any:
    """The app as uvicorn serves it with the options ``serve`` passes."""
    config = uvicorn.Config(app, lifespan="off", **server_options(configured))
    config.load()
    return config.loaded_app


async def hits(app: Any, served: Any, peer: str, forwarded: list[str]) -> list[int]:
    """Status of one public request per X-Forwarded-For value, from ``peer``."""
    transport = httpx.ASGITransport(app=served, client=(peer, 4321))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [
                (await client.get("/v1/notices", headers={"X-Forwarded-For": f})).status_code
                for f in forwarded
            ]


ROTATING = [f"203.0.113.{n}" for n in range(1, 6)]


async def test_a_direct_caller_cannot_escape_the_rate_limit_by_naming_other_clients(
    tmp_path: Path,
) -> None:
    configured = settings(tmp_path, public_rate_limit="3/minute")
    assert server_options(configured) == {"proxy_headers": False}
    app = create_app(spec(tmp_path), configured)
    answers = await hits(app, behind_uvicorn(app, configured), "127.0.0.1", ROTATING)
    assert answers == [200, 200, 200, 429, 429]


async def test_behind_the_named_proxy_each_client_has_its_own_budget(tmp_path: Path) -> None:
    configured = settings(
        tmp_path, public_rate_limit="3/minute", forwarded_allow_ips=["10.0.0.0/8"]
    )
    app = create_app(spec(tmp_path), configured)
    served = behind_uvicorn(app, configured)
    # The ingress (10.1.2.3) forwards five different clients: none is limited ...
    assert await hits(app, served, "10.1.2.3", ROTATING) == [200] * 5
    # ... one client calling five times is, though all come through the same proxy ...
    assert await hits(app, served, "10.1.2.3", ["198.51.100.7"] * 5) == [200, 200, 200, 429, 429]
    # ... and a peer that is not the proxy is not believed.
    assert await hits(app, served, "192.0.2.9", ROTATING) == [200, 200, 200, 429, 429]
