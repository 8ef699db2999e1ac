"""Configuration by environment (pydantic-settings); each service sets its own prefix."""

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tuopin_eventkit.auth import AuthSettings
from tuopin_eventkit.kafka import KafkaSettings


class ServiceSettings(BaseSettings):
    """Common settings. Nested ones use ``__``: ``TUOPIN_REGISTRY_KAFKA__BOOTSTRAP_SERVERS``."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    port: int
    database_url: str
    kafka: KafkaSettings = KafkaSettings()
    # Embedded mode migrates on start; deployments run `migrate` as a separate job.
    migrate_on_start: bool = True
    run_relay: bool = True
    run_projections: bool = True
    log_level: str = "INFO"
    # /metrics measures lag and dead letters (database and broker) at most this often.
    metrics_refresh_seconds: float = 15.0
    # Key of the resident-ID hash every service joins on; set one real secret when deployed.
    identity_key: SecretStr = SecretStr("embedded-development-identity-key")
    auth: AuthSettings = AuthSettings()

    # HTTP hardening (tuopin_eventkit.hardening).
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


def sqlite_url(service: str, var: Path = Path("var")) -> str:
    return f"sqlite+aiosqlite:///{var / f'{service}.db'}"
