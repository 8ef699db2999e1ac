"""Bearer tokens: who is calling, from an OAuth2 JWT.

Tokens are verified with PyJWT: against the OIDC provider's JWKS in deployment (issuer,
audience, expiry, signature), against a local key in embedded mode, where ``tuopin token``
mints them. Claims: ``sub``; ``role``; ``region`` (a region-code prefix: 62 the province,
6211 a city, 621121 a county, 9 digits a township, 12 a village); ``org`` (a bank's or a
training centre's id); ``counties`` (an evaluator's assigned counties).
"""

import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, TypedDict, Unpack

import jwt
from pydantic import BaseModel, SecretStr

from tuopin_eventkit.security.auth import (
    LEVEL_ENDS,
    OFFICERS,
    PARTNERS,
    REGION_DIGITS,
    Principal,
    Unauthenticated,
)
from tuopin_eventkit.security.roles import Role

EMBEDDED_ISSUER = "tuopin-embedded"


class AuthSettings(BaseModel):
    issuer: str = EMBEDDED_ISSUER
    audience: str = "tuopin"
    # Embedded mode signs and checks with this key (HS256); replace it in any deployment.
    signing_key: SecretStr = SecretStr("embedded-development-signing-key-not-for-deployment")
    # Deployment: the OIDC provider's JWKS; when set, only its keys are trusted.
    jwks_url: str | None = None
    algorithms: list[str] = ["RS256", "ES256"]
    leeway_seconds: int = 30
    # The longest a token may live (exp − iat, or exp − now without iat): a stolen token
    # is worth a working day at most, however the provider (or ``tuopin token``) minted it.
    max_lifetime_minutes: int = 12 * 60
    # Deployment: the dashboard's own client at the OIDC provider, a public one (no
    # secret): the sign-in page runs the authorization code flow with PKCE against the
    # issuer. None: the page offers no provider sign-in.
    client_id: str | None = None


class Scope(TypedDict, total=False):
    """A minted token's optional claims and its lifetime in minutes (480 by default)."""

    region: str | None
    org: str | None
    counties: tuple[str, ...]
    minutes: int


def mint(settings: AuthSettings, subject: str, role: Role, **scope: Unpack[Scope]) -> str:
    """A token signed with the local key (embedded mode, development, tests); never one
    the services would refuse as too long-lived."""
    minutes = scope.get("minutes", 480)
    if minutes > settings.max_lifetime_minutes:
        raise ValueError(f"a token lives at most {settings.max_lifetime_minutes} minutes")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    if region := scope.get("region"):
        claims["region"] = region
    if org := scope.get("org"):
        claims["org"] = org
    if counties := scope.get("counties"):
        claims["counties"] = list(counties)
    return jwt.encode(claims, settings.signing_key.get_secret_value(), algorithm="HS256")


def development_token(
    settings: AuthSettings, subject: str, role: Role, **scope: Unpack[Scope]
) -> str:
    """A token of the local key for a caller the services accept: its claims checked as
    the services check them (``principal``), then minted. ``tuopin token`` and the
    dashboard's development sign-in both mint here; a ValueError says what is wrong."""
    counties = list(scope.get("counties", ()))
    principal(
        {
            "sub": subject,
            "role": role,
            "region": scope.get("region"),
            "org": scope.get("org"),
            "counties": counties,
        }
    )
    return mint(settings, subject, role, **scope)


class Verifier:
    """Checks bearer tokens, and remembers the ones it verified for at most
    ``REMEMBERED_SECONDS`` and never past their expiry: a client sends the same token with
    every request, and checking its signature and claims again each time was a twentieth
    of a household read's CPU."""

    REMEMBERED_SECONDS = 60
    REMEMBERED_TOKENS = 10_000

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None
        self._verified: dict[str, tuple[float, Principal]] = {}  # token → (until, caller)

    def verify(self, token: str) -> Principal:
        now = time.time()
        until, caller = self._verified.get(token, (0.0, None))
        if caller is not None and now < until:
            return caller
        caller, expires = self._check(token)
        if len(self._verified) >= self.REMEMBERED_TOKENS:
            self._verified.clear()  # a flood of distinct tokens costs checks, not memory
        self._verified[token] = (min(expires, now + self.REMEMBERED_SECONDS), caller)
        return caller

    def _check(self, token: str) -> tuple[Principal, float]:
        """The caller, and the instant the token stops being accepted."""
        s = self.settings
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = s.algorithms
            else:
                key, algorithms = s.signing_key.get_secret_value(), ["HS256"]
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            lifetime = claims["exp"] - claims.get("iat", time.time())
            if lifetime > s.max_lifetime_minutes * 60:
                raise ValueError(f"the token lives longer than {s.max_lifetime_minutes} minutes")
            return principal(claims), claims["exp"] + s.leeway_seconds
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc


def _real_region(code: object, digits: int) -> bool:
    """A region code of exactly ``digits`` digits whose every level is a real one: a
    padded code (620000, 621100) is the province or a city written longer, and as a
    caller's scope it would reach further than its length says."""
    if not isinstance(code, str) or not re.fullmatch(r"[0-9]+", code) or len(code) != digits:
        return False
    ends = [end for end in LEVEL_ENDS if end <= digits]
    return all(int(code[start:end]) > 0 for start, end in pairwise(ends))


ORG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
SCOPE_CLAIMS = ("region", "org", "counties")


def principal(claims: Mapping[str, Any]) -> Principal:
    """The caller a verified token names; any claim out of shape is a ValueError (401).
    Each role carries its own scope claim and no other: officers a region of their
    level's length, partners their organisation, evaluators one or more county codes,
    auditors none."""
    named, subject = claims.get("role"), claims.get("sub")
    if not isinstance(named, str) or named not in set(Role):
        raise ValueError(f"unknown role {named!r}")
    if not isinstance(subject, str) or not subject:
        raise ValueError("the token names no subject (sub)")
    role = Role(named)
    given = {name for name in SCOPE_CLAIMS if claims.get(name) not in (None, "", [])}
    wanted = {"region"} if role in OFFICERS else {"org"} if role in PARTNERS else set()
    if role == Role.EVALUATOR:
        wanted = {"counties"}
    if given != wanted:
        raise ValueError(
            f"a {role} token carries {sorted(wanted) or 'no scope'}, not {sorted(given)}"
        )
    region, org, counties = claims.get("region"), claims.get("org"), claims.get("counties")
    if role in OFFICERS and not _real_region(region, REGION_DIGITS[role]):
        raise ValueError(f"a {role} token names a {REGION_DIGITS[role]}-digit region")
    if role in PARTNERS and not (isinstance(org, str) and ORG.fullmatch(org)):
        raise ValueError(f"a {role} token names its organisation (org)")
    if role == Role.EVALUATOR and not (
        isinstance(counties, list) and all(_real_region(c, 6) for c in counties)
    ):
        raise ValueError("an evaluator token names its counties: a list of 6-digit county codes")
    return Principal(
        subject=subject,
        role=role,
        region=region,
        org=org,
        counties=frozenset(counties or ()),
    )
