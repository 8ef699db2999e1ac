"""Configuration by environment (pydantic-settings); each service sets its own prefix."""

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tuopin_eventkit.messaging.kafka import KafkaSettings
from tuopin_eventkit.security.tokens import AuthSettings


class ServiceSettings(BaseSettings):
    """Common settings. Nested ones use ``__``: ``TUOPIN_REGISTRY_KAFKA__BOOTSTRAP_SERVERS``."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")
    # Secrets this service never reads: their development defaults are harmless here.
    unused_secrets: ClassVar[frozenset[str]] = frozenset()

    # "development" (embedded, tests) or anything else for a deployment ("production"): a
    # deployment refuses to start on a development key (``refuse_development_keys``).
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int
    database_url: str
    # Connections kept open to PostgreSQL, and how many more a burst may open for a moment.
    database_pool_size: int = 20
    database_max_overflow: int = 10
    kafka: KafkaSettings = KafkaSettings()
    # Embedded mode migrates on start; deployments run `migrate` as a separate job.
    migrate_on_start: bool = True
    run_relay: bool = True
    run_projections: bool = True
    log_level: str = "INFO"
    # How long a stopping service waits for its relay and consumers to let go of the broker
    # before leaving them to the process's exit (a consumer stopped mid-join waits for the
    # broker's answer, and a broker that went away mid-answer never gives one).
    shutdown_grace_seconds: float = 10.0
    # /metrics measures lag and dead letters (database and broker) at most this often.
    metrics_refresh_seconds: float = 15.0
    # Key of the resident-ID hash every service joins on; set one real secret when deployed.
    identity_key: SecretStr = SecretStr("embedded-development-identity-key")
    auth: AuthSettings = AuthSettings()

    # HTTP hardening (tuopin_eventkit.web.hardening).
    # Origins a browser may call from (CORS); empty: CORS closed, no CORS headers at all.
    cors_origins: list[str] = []
    max_body_bytes: int = 1024 * 1024  # a JSON body
    max_upload_bytes: int = 64 * 1024 * 1024  # a file on routes that take one (bulk import)
    # Per client IP over all public endpoints (notices, certificate checks), `limits` syntax.
    public_rate_limit: str = "60/minute"
    # Where the counts live: in process, or shared by the replicas ("async+redis://…").
    rate_limit_storage: str = "async+memory://"
    # Strict-Transport-Security, only where the service is reached over HTTPS (0: not sent).
    hsts_max_age_seconds: int = 0
    # The reverse proxies (addresses or networks, e.g. ["10.244.0.0/16"]) whose
    # X-Forwarded-For and X-Forwarded-Proto are believed: the client address the rate limit
    # counts is then the one the proxy saw. Empty (the default): no proxy is believed and a
    # client is its own peer address, so a caller on the machine cannot pick another.
    forwarded_allow_ips: list[str] = []


def sqlite_url(service: str, var: Path = Path("var")) -> str:
    return f"sqlite+aiosqlite:///{var / f'{service}.db'}"


# --- a deployment never runs on a development key ---------------------------------------------

DEPLOYMENT = "TUOPIN_ENVIRONMENT"  # unprefixed: marks every service of a machine at once


class DevelopmentKeys(RuntimeError):
    """A deployed service configured with a key published in this repository."""


def refuse_development_keys(
    settings: ServiceSettings, environ: Mapping[str, str] = os.environ
) -> None:
    """Refuse to start a deployment whose secrets include a built-in development value.

    Deployed means ``environment`` (or ``TUOPIN_ENVIRONMENT``) is not ``development``, or
    tokens come from an OIDC provider (an issuer or a JWKS URL is set). Each secret setting
    still at its default then stops the start, named but never shown: the development
    signing key (unless a JWKS verifies the tokens: then it is never used), identity key,
    people key. Called by the app's start-up and by ``serve``."""
    reasons = deployed_because(settings, environ)
    if not reasons:
        return
    found = [
        name
        for name, field, value, default in _secrets(settings, settings)
        if value == default
        and field not in settings.unused_secrets
        and not (field == "auth.signing_key" and settings.auth.jwks_url)
    ]
    if found:
        raise DevelopmentKeys(
            f"deployed ({'; '.join(reasons)}) but still on the development value of "
            f"{', '.join(found)}: set a secret of your own (deploy/README.md, Secrets)"
        )


def deployed_because(
    settings: ServiceSettings, environ: Mapping[str, str] = os.environ
) -> list[str]:
    """Why this is a deployment (none: embedded development), each reason naming its setting."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    reasons = []
    if settings.environment != "development":
        reasons.append(f"{prefix}ENVIRONMENT={settings.environment}")
    if environ.get(DEPLOYMENT, "development") != "development":
        reasons.append(f"{DEPLOYMENT}={environ[DEPLOYMENT]}")
    default_auth = type(settings.auth)()
    if settings.auth.issuer != default_auth.issuer:
        reasons.append(f"an OIDC issuer ({prefix}AUTH__ISSUER)")
    if settings.auth.jwks_url:
        reasons.append(f"an OIDC JWKS ({prefix}AUTH__JWKS_URL)")
    return reasons


def _secrets(
    settings: ServiceSettings, model: BaseModel, path: str = ""
) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(variable, field path, value, default) of every secret setting, nested ones too."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        field = f"{path}{name}"
        if isinstance(value, BaseModel):
            yield from _secrets(settings, value, f"{field}.")
        elif isinstance(value, SecretStr):
            default = info.default if isinstance(info.default, SecretStr) else None
            variable = prefix + field.replace(".", "__").upper()
            shown = default.get_secret_value() if default is not None else None
            yield variable, field, value.get_secret_value(), shown
