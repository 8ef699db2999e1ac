"""What a caller may do: roles scoped by region or by organisation, and one access rule
per endpoint. Who the caller is comes from a verified bearer token (``tokens``).

Each service declares, for every route, one ``Rule``: what kind of access it is and where
the region or organisation the request touches is read — one declared place (a path
parameter, a query parameter or a body field) of the validated request the handler is
called with, never the raw request. ``permits`` is the whole policy.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tuopin_eventkit.security.roles import Role as Role  # the roles access rules are written in
from tuopin_eventkit.store.aggregate import NotFound

if TYPE_CHECKING:
    from tuopin_eventkit.web.runtime import Runtime


# How many digits of a region code each regional role is bound to.
REGION_DIGITS = {
    Role.PROVINCE_ADMIN: 2,
    Role.CITY_OFFICER: 4,
    Role.COUNTY_OFFICER: 6,
    Role.TOWNSHIP_OFFICER: 9,
    Role.VILLAGE_CADRE: 12,
}
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
    def scope(self) -> str:
        """Its region, organisation or counties ("" for the auditor's none)."""
        return self.org or self.region or ",".join(sorted(self.counties))

    @property
    def actor(self) -> str:
        """How events record who caused them."""
        return f"{self.role}:{self.subject}" + (f"@{self.scope}" if self.scope else "")


@dataclass(frozen=True)
class Target:
    """What a request touches: a region (code or prefix), or an organisation of a kind
    (a bank's id never opens a training centre's records, whatever the strings).
    ``unknown`` says what a lookup did not find: a caller the rule would otherwise
    refuse is told 404 (the id names nothing), not 403."""

    region: str | None = None
    org: str | None = None
    org_role: Role | None = None
    unknown: str | None = None
    # What the lookup read to find it, when the route answers from that very read (one
    # read for the check and the answer; ``http.found``). Never part of the decision.
    found: Any = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        if self.org:
            return f"{self.org_role} {self.org}"
        return f"region {self.region}" if self.region else "the whole province"


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


class Unauthenticated(Exception):
    """No token, or one that does not verify (HTTP 401)."""


class Forbidden(Exception):
    """A verified caller asked for what its role and scope do not allow (HTTP 403)."""


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """The validated request a handler is called with, as a scope resolver sees it: its
    path parameters, its declared query parameters and its body (the model instance)
    exactly as the handler gets them, and the service's runtime (for lookups)."""

    path: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any
    runtime: "Runtime"


class Place(StrEnum):
    PATH = "path"
    QUERY = "query"
    BODY = "body"


@dataclass(frozen=True)
class At:
    """The one place of a request a route's scope is read from."""

    place: Place
    name: str

    def of(self, call: Call) -> Any:
        if self.place == Place.BODY:
            body = call.body
            return (
                body.get(self.name) if isinstance(body, Mapping) else getattr(body, self.name, None)
            )
        return (call.path if self.place == Place.PATH else call.query).get(self.name)


def _at(path: str | None, query: str | None, body: str | None) -> At:
    named = [(p, n) for p, n in ((Place.PATH, path), (Place.QUERY, query), (Place.BODY, body)) if n]
    if len(named) != 1:
        raise TypeError("a scope is read from exactly one place: path=, query= or body=")
    return At(*named[0])


Find = Callable[["Runtime", str], Awaitable[Target | None]]


@dataclass(frozen=True)
class Resolver:
    """How a route finds what it touches: the value at ``at`` made a target by ``find``
    (None: not found). ``by`` says whether that is a region or an organisation (None:
    province-wide, for roles bound to neither)."""

    at: At | None
    find: Find | None
    by: str | None
    org_role: Role | None = None  # the kind of organisation, when ``by`` is "org"

    async def __call__(self, call: Call) -> Target:
        if self.at is None or self.find is None:
            return Target()
        value = self.at.of(call)
        if value is None:  # an optional parameter left out: the whole province
            return Target()
        found = await self.find(call.runtime, str(value))
        return found or Target(unknown=f"no {self.at.name.removesuffix('_id')} {value}")


unscoped = Resolver(None, None, None)


@dataclass(frozen=True)
class Rule:
    access: Access
    scope: Resolver = unscoped
    sees_personal_data: bool = field(default=False)  # a read that may unmask (logged)
    # A public route counts against the per-client public rate limit unless it costs
    # nothing and is called all the time: probes, metrics, files served from memory.
    rate_limited: bool = True


def public(*, rate_limited: bool = True) -> Rule:
    return Rule(Access.PUBLIC, rate_limited=rate_limited)


def region_of(
    *, path: str | None = None, query: str | None = None, body: str | None = None
) -> Resolver:
    """The region is a request parameter: ``region_of(query="region")``."""

    async def region(runtime: "Runtime", value: str) -> Target:
        return Target(region=value)

    return Resolver(_at(path, query, body), region, "region")


def org_of(role: Role, *, path: str | None = None, body: str | None = None) -> Resolver:
    """The organisation is a request parameter (``bank_id`` of a bank, ``centre_id`` …)."""

    async def org(runtime: "Runtime", value: str) -> Target:
        return Target(org=value, org_role=role)

    return Resolver(_at(path, None, body), org, "org", role)


def looked_up(find: Find, *, path: str, org_role: Role | None = None) -> Resolver:
    """The target is found from a path parameter (e.g. a household's village from its id,
    or a loan's bank); an unknown one answers 404."""
    return Resolver(_at(path, None, None), find, "org" if org_role else "region", org_role)


AccessRules = Mapping[str, Rule]  # "METHOD /path/{template}" → rule


def may_call(who: Principal, rule: Rule) -> bool:
    """Whether ``who`` could pass ``rule`` anywhere at all: the policy applied to the
    caller's own scope, of the kind the rule looks at. Checked before the request is
    validated, so a role the route is not for is refused whatever it sends, and a role
    it is for has its input validated (422, 404) before its scope is checked."""
    own = Target()
    if rule.scope.by == "region":
        own = Target(region=who.region or min(who.counties, default=None))
    elif rule.scope.by == "org":
        own = Target(org=who.org, org_role=rule.scope.org_role)
    return permits(who, rule.access, own)


def refusal(who: Principal, action: str, target: Target | None = None) -> Forbidden:
    """A 403 naming the role, its scope and (when known) the scope asked for."""
    role = f"{'an' if who.role[0] in 'aeiou' else 'a'} {who.role}"
    asked = f" for {target}" if target is not None else f": not open to {role}"
    return Forbidden(f"{role} of {who.scope or 'no scope'} may not {action}{asked}")


async def check(who: Principal, rule: Rule, call: Call, action: str) -> Target:
    """The rule on the validated request ``call``: the target when it permits, else 404
    for an id that names nothing, else 403."""
    target = await rule.scope(call)
    if permits(who, rule.access, target):
        return target
    if target.unknown:
        raise NotFound(target.unknown)
    raise refusal(who, action, target)


# The kernel's own routes, beside every service's.
KERNEL_ACCESS: AccessRules = {
    # Probes and Prometheus call these all the time.
    "GET /healthz": public(rate_limited=False),
    "GET /readyz": public(rate_limited=False),
    "GET /metrics": public(rate_limited=False),
    # The whole stream, every region: the province and auditors.
    "GET /v1/events": Rule(Access.READ),
}
