import re
from urllib.parse import urlsplit

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from tuopin_eventkit.settings import ServiceSettings, sqlite_url


class EvaluationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_EVALUATION_", env_nested_delimiter="__")

    port: int = 8004
    database_url: str = sqlite_url("evaluation")
    # Evaluation never sees a resident-ID number: it needs no identity key, and gets none.
    unused_secrets = frozenset({"identity_key"})
    # Where a browser reaches the loans service (its address as the viewer's browser sees
    # it, e.g. https://loans.tuopin.example): the dashboard's loans panel fetches the
    # portfolio and fund balances from there with the viewer's token, so loans must allow
    # this service's origin (TUOPIN_LOANS_CORS_ORIGINS). None: the panel says so.
    loans_url: str | None = None

    @field_validator("loans_url")
    @classmethod
    def _an_http_address(cls, url: str | None) -> str | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"loans_url must be an http(s) address, not {url!r}")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("loans_url takes no query, fragment or credentials")
        # Its origin goes into the page's Content-Security-Policy: a host and port, no more.
        if not re.fullmatch(r"(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+(?::[0-9]{1,5})?", parts.netloc):
            raise ValueError(f"loans_url's host is not a host name and port: {parts.netloc!r}")
        return url.rstrip("/")

    @property
    def loans_origin(self) -> str | None:
        """The loans service's origin, the one the dashboard's page may connect to."""
        if self.loans_url is None:
            return None
        parts = urlsplit(self.loans_url)
        return f"{parts.scheme}://{parts.netloc}"
