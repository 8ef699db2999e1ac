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

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
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
        county = (target.region or "")[:6]
        return access in (Access.READ, Access.ASSESS) and county in who.counties
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


class Unauthenticated(Exception):
    """No token, or one that does not verify (HTTP 401)."""


class Forbidden(Exception):
    """A verified caller asked for what its role and scope do not allow (HTTP 403)."""


def mint(
    settings: AuthSettings, subject: str, role: Role, *, region: str | None = None,
    org: str | None = None, counties: tuple[str, ...] = (), minutes: int = 480,
) -> str:  # fmt: skip
    """A token signed with the local key (embedded mode, development, tests)."""
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
            return principal(claims)
        except (jwt.PyJWTError, ValueError, KeyError) as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc


def principal(claims: Mapping[str, Any]) -> Principal:
    role = Role(claims["role"])
    region = claims.get("region")
    if role in OFFICERS:
        if not region or not region.isdigit() or len(region) != REGION_DIGITS[role]:
            raise ValueError(f"a {role} token names a {REGION_DIGITS[role]}-digit region")
    if role in (Role.BANK, Role.TRAINING_CENTRE) and not claims.get("org"):
        raise ValueError(f"a {role} token names its organisation (org)")
    return Principal(
        subject=str(claims["sub"]), role=role, region=region, org=claims.get("org"),
        counties=frozenset(claims.get("counties", ())),
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
