"""Who is calling and what they may do: OAuth2 bearer JWTs, roles scoped by region or by
organisation, and one access rule per endpoint.

Tokens are verified with PyJWT: against the OIDC provider's JWKS in deployment (issuer,
audience, expiry, signature), against a local key in embedded mode, where ``tuopin token``
mints them. Claims: ``sub``; ``role``; ``region`` (a region-code prefix: 62 the province,
6211 a city, 621121 a county, 9 digits a township, 12 a village); ``org`` (a bank's or a
training centre's id); ``counties`` (an evaluator's assigned counties).

Each service declares, for every route, one ``Rule``: what kind of access it is and how to
find the region or organisation the request touches. ``permits`` is the whole policy.
"""

import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import jwt
from pydantic import BaseModel, SecretStr

if TYPE_CHECKING:
    from tuopin_eventkit.service import Runtime


class Role(StrEnum):
    PROVINCE_ADMIN = "province_admin"  # 省扶贫办
    CITY_OFFICER = "city_officer"  # 市
    COUNTY_OFFICER = "county_officer"  # 县
    TOWNSHIP_OFFICER = "township_officer"  # 乡镇
    VILLAGE_CADRE = "village_cadre"  # 村干部, 驻村工作队
    BANK = "bank"  # a bank's service account
    TRAINING_CENTRE = "training_centre"  # a training centre's service account
    EVALUATOR = "evaluator"  # 第三方评估: reads and records findings for its counties
    AUDITOR = "auditor"  # reads everything, history included, changes nothing


# How many digits of a region code each regional role is bound to.
REGION_DIGITS = {
    Role.PROVINCE_ADMIN: 2, Role.CITY_OFFICER: 4, Role.COUNTY_OFFICER: 6,
    Role.TOWNSHIP_OFFICER: 9, Role.VILLAGE_CADRE: 12,
}  # fmt: skip
OFFICERS = frozenset(REGION_DIGITS)
PARTNERS = frozenset({Role.BANK, Role.TRAINING_CENTRE})
# Where each level's own digits end in a region code (province 62, city 6211, county
# 621121, township 621121100, village 621121100201).
LEVEL_ENDS = (2, 4, 6, 9, 12)


class Access(StrEnum):
    """The kind of thing an endpoint does."""

    PUBLIC = "public"  # no token: health, metrics, public notices, certificate verification
    SIGNED_IN = "signed_in"  # any verified caller: reference data (region codes)
    READ = "read"  # officers in region, evaluators for their counties, auditors, the partner
    WRITE = "write"  # officers in region: register, change, decide
    PROVINCE = "province"  # the province's own decisions (quotas, accreditation, funds)
    PARTNER = "partner"  # a bank or a training centre posting its own records
    ASSESS = "assess"  # third-party assessment findings (evaluators, for their counties)


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    region: str | None = None
    org: str | None = None
    counties: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How events record who caused them."""
        scope = self.org or self.region or ",".join(sorted(self.counties))
        return f"{self.role}:{self.subject}" + (f"@{scope}" if scope else "")


@dataclass(frozen=True)
class Target:
    """What a request touches: a region (code or prefix), or an organisation of a kind
    (a bank's id never opens a training centre's records, whatever the strings)."""

    region: str | None = None
    org: str | None = None
    org_role: Role | None = None


def _within(region: str | None, scope: str | None) -> bool:
    return region is not None and scope is not None and region.startswith(scope)


def permits(who: Principal, access: Access, target: Target) -> bool:
    """The whole authorization policy."""
    if access in (Access.PUBLIC, Access.SIGNED_IN):
        return True
    role = who.role
    if role == Role.AUDITOR:
        return access == Access.READ
    if role in (Role.BANK, Role.TRAINING_CENTRE):
        # Its own records only: the same id and the same kind of organisation.
        mine = who.org is not None and (target.org, target.org_role) == (who.org, role)
        return access in (Access.READ, Access.PARTNER) and mine
    if role == Role.EVALUATOR:
        # Something in one of its counties: a region of at least six digits.
        region = target.region or ""
        return (
            access in (Access.READ, Access.ASSESS)
            and len(region) >= 6
            and region[:6] in who.counties
        )
    if role == Role.PROVINCE_ADMIN:
        return access != Access.PARTNER
    # city, county, township officers and village cadres: their own region only
    return access in (Access.READ, Access.WRITE) and _within(target.region, who.region)


# --- tokens --------------------------------------------------------------------------------


class AuthSettings(BaseModel):
    issuer: str = "tuopin-embedded"
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


class Unauthenticated(Exception):
    """No token, or one that does not verify (HTTP 401)."""


class Forbidden(Exception):
    """A verified caller asked for what its role and scope do not allow (HTTP 403)."""


def mint(
    settings: AuthSettings, subject: str, role: Role, *, region: str | None = None,
    org: str | None = None, counties: tuple[str, ...] = (), minutes: int = 480,
) -> str:  # fmt: skip
    """A token signed with the local key (embedded mode, development, tests); never one
    the services would refuse as too long-lived."""
    if minutes > settings.max_lifetime_minutes:
        raise ValueError(f"a token lives at most {settings.max_lifetime_minutes} minutes")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.issuer, "aud": settings.audience, "sub": subject, "role": role,
        "iat": now, "exp": now + timedelta(minutes=minutes),
    }  # fmt: skip
    if region:
        claims["region"] = region
    if org:
        claims["org"] = org
    if counties:
        claims["counties"] = list(counties)
    return jwt.encode(claims, settings.signing_key.get_secret_value(), algorithm="HS256")


class Verifier:
    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._jwks = jwt.PyJWKClient(settings.jwks_url) if settings.jwks_url else None

    def verify(self, token: str) -> Principal:
        s = self.settings
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = s.algorithms
            else:
                key, algorithms = s.signing_key.get_secret_value(), ["HS256"]
            claims = jwt.decode(
                token, key, algorithms=algorithms, audience=s.audience, issuer=s.issuer,
                leeway=s.leeway_seconds, options={"require": ["exp", "iss", "aud", "sub"]},
            )  # fmt: skip
            lifetime = claims["exp"] - claims.get("iat", time.time())
            if lifetime > s.max_lifetime_minutes * 60:
                raise ValueError(f"the token lives longer than {s.max_lifetime_minutes} minutes")
            return principal(claims)
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
        subject=subject, role=role, region=region, org=org, counties=frozenset(counties or ()),
    )  # fmt: skip


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """What a scope resolver may look at: the route's path and query parameters, the JSON
    body when there is one, and the service's runtime (for lookups in its read models)."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    runtime: "Runtime"


Resolve = Callable[[Call], Awaitable[Target]]


@dataclass(frozen=True)
class Resolver:
    """How a route finds what it touches; ``by`` says whether that is a region or an
    organisation (None: province-wide, for roles bound to neither)."""

    resolve: Resolve
    by: str | None
    org_role: Role | None = None  # the kind of organisation, when ``by`` is "org"

    async def __call__(self, call: Call) -> Target:
        return await self.resolve(call)


async def _province_wide(call: Call) -> Target:
    return Target()


unscoped = Resolver(_province_wide, None)


@dataclass(frozen=True)
class Rule:
    access: Access
    scope: Resolver = unscoped
    sees_personal_data: bool = field(default=False)  # a read that may unmask (logged)


def public() -> Rule:
    return Rule(Access.PUBLIC)


def _pick(call: Call, name: str) -> Any:
    for source in (call.path, call.query, call.body if isinstance(call.body, dict) else {}):
        if name in source and source[name] is not None:
            return source[name]
    return None


def region_of(name: str) -> Resolver:
    """The region is a request parameter (path, query or body field ``name``)."""

    async def resolve(call: Call) -> Target:
        value = _pick(call, name)
        return Target(region=str(value) if value is not None else None)

    return Resolver(resolve, "region")


def org_of(name: str, role: Role) -> Resolver:
    """The organisation is a request parameter (``bank_id`` of a bank, ``centre_id`` …)."""

    async def resolve(call: Call) -> Target:
        value = _pick(call, name)
        return Target(org=str(value), org_role=role) if value is not None else Target()

    return Resolver(resolve, "org", role)


def looked_up(
    name: str,
    find: Callable[["Runtime", str], Awaitable[Target | None]],
    org_role: Role | None = None,
) -> Resolver:
    """The target is found from a parameter (e.g. a household's village from its id, or a
    loan's bank); an unknown one is province-wide, so only unscoped roles reach the 404."""

    async def resolve(call: Call) -> Target:
        value = _pick(call, name)
        found = await find(call.runtime, str(value)) if value is not None else None
        return found or Target()

    return Resolver(resolve, "org" if org_role else "region", org_role)


Policy = Mapping[str, Rule]  # "METHOD /path/{template}" → rule
