"""The authorization matrix, walked over HTTP: every route of a service's policy × every
role × a caller inside and one outside the scope the request touches, plus no token
(``Matrix.walk``); then the same routes asked with requests whose parts disagree about
that scope (``Matrix.disagree``).

An allowed call may still fail for its own reasons (404, 409, 422 — the walk sends only
the fields that name the scope), so "allowed" means any answer but 401 and 403; a refused
one must be exactly 403 (401 without a token) — or 422 for a caller of a role the route
is for, outside its scope, whose request was invalid inside as well: input is validated
before the scope is checked, on the validated values (``disagree`` sends valid bodies).
What each role may do is restated here from the issue's table, apart from
``auth.permits``, so the test checks the policy as wired — rules, scope resolvers, read
models — not the function against itself.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx

from tuopin_eventkit.security.auth import Access, AccessRules, Place, Principal, Role, Rule
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import bearer

REGIONAL_DIGITS = {
    Role.CITY_OFFICER: 4,
    Role.COUNTY_OFFICER: 6,
    Role.TOWNSHIP_OFFICER: 9,
    Role.VILLAGE_CADRE: 12,
}
PARTNERS = {Role.BANK, Role.TRAINING_CENTRE}


@dataclass(frozen=True)
class Scope:
    """Where the walk's requests point: a village (hence its township, county, city), and
    the organisation of each partner role."""

    village: str
    orgs: Mapping[Role, str]

    def caller(self, role: Role, inside: bool) -> Principal:
        other = "other-org" if not inside else None
        if role in REGIONAL_DIGITS:
            digits = REGIONAL_DIGITS[role]
            region = self.village[:digits]
            if not inside:  # the neighbour at the same level
                region = region[:-1] + str((int(region[-1]) + 1) % 10)
            return Principal(f"walk-{role}", role, region=region)
        if role in PARTNERS:
            return Principal(f"walk-{role}", role, org=other or self.orgs.get(role, "no-org"))
        if role == Role.EVALUATOR:
            county = self.village[:6] if inside else self.village[:5] + "9"
            return Principal(f"walk-{role}", role, counties=frozenset({county}))
        return Principal(f"walk-{role}", role, region="62" if role == Role.PROVINCE_ADMIN else None)


def expected(rule: Rule, role: Role, inside: bool, digits: int = 12) -> bool:
    """The issue's table: who may do what. ``digits``: how precise the region the route
    touches is (a county's quota: 6 — no township officer is inside it)."""
    access, by, org_role = rule.access, rule.scope.by, rule.scope.org_role
    if role in REGIONAL_DIGITS and REGIONAL_DIGITS[role] > digits:
        inside = False
    if access in (Access.PUBLIC, Access.SIGNED_IN):
        return True
    if role == Role.AUDITOR:
        return access == Access.READ
    if role == Role.PROVINCE_ADMIN:
        return access != Access.PARTNER
    if role in PARTNERS:
        mine = inside and by == "org" and org_role == role
        return mine and access in (Access.READ, Access.PARTNER)
    if role == Role.EVALUATOR:
        return inside and by == "region" and access in (Access.READ, Access.ASSESS)
    return inside and by == "region" and access in (Access.READ, Access.WRITE)


async def query_parameters(client: httpx.AsyncClient) -> dict[str, set[str]]:
    """The query parameters each route declares ("METHOD /template" → names), from the
    service's API document; a route kept out of it declares none."""
    document = (await client.get("/openapi.json")).json()
    return {
        f"{method.upper()} {path}": {
            p["name"] for p in op.get("parameters", []) if p["in"] == "query"
        }
        for path, operations in document["paths"].items()
        for method, op in operations.items()
    }


def beside(code: str, digits: int) -> str:
    """A region code outside the ``digits``-digit region that contains ``code``: the same
    code with that region's last digit changed (621121100201 at 6 digits → 621122100201)."""
    return code[: digits - 1] + str((int(code[digits - 1]) + 1) % 10) + code[digits:]


@dataclass(frozen=True)
class Matrix:
    """A service's routes as the walk asks them: ``client`` calls them with tokens signed
    by ``settings``, one per rule of ``access``, for callers inside and outside ``scope``;
    ``path`` fills route templates, ``query`` goes with every request that declares the
    parameter, ``digits`` per route whose region is coarser than a village."""

    client: httpx.AsyncClient
    settings: AuthSettings
    access: AccessRules
    scope: Scope
    path: Mapping[str, str]
    query: Mapping[str, str] | None = None
    digits: Mapping[str, int] | None = None

    async def walk(self, bodies: Mapping[str, Any] | None = None) -> int:
        """Walk every route, with ``bodies`` per route ("METHOD /template"); fail listing
        every mismatch. Returns the number of calls made."""
        client, settings, access, scope = self.client, self.settings, self.access, self.scope
        path, query, digits = self.path, self.query, self.digits
        mismatches, calls = [], 0
        declared = await query_parameters(client)
        for key, rule in access.items():
            method, template = key.split(" ", 1)
            url = template.format(**path)
            body = (bodies or {}).get(key)
            params = {k: v for k, v in (query or {}).items() if k in declared.get(key, ())}
            anonymous = await client.request(
                method, url, params=params, json=body, headers={"Authorization": ""}
            )
            calls += 1
            want = 200 if rule.access == Access.PUBLIC else 401
            if (anonymous.status_code == 401) != (want == 401):
                mismatches.append(f"{key} without a token: {anonymous.status_code}")
            for role in Role:
                precision = (digits or {}).get(key, 12)
                for inside in (True, False):
                    who = scope.caller(role, inside)
                    answer = await client.request(
                        method, url, params=params, json=body, headers=bearer(settings, who)
                    )
                    calls += 1
                    allowed = expected(rule, role, inside, precision)
                    got = answer.status_code
                    if inside:
                        got_inside = got
                    # A role the route is for has its request validated before its scope is
                    # checked: what was invalid (422) inside is invalid outside too.
                    invalid = got == got_inside == 422 and expected(rule, role, True)
                    refused = got == 403 or (not inside and invalid)
                    if (
                        (allowed and got in (401, 403))
                        or (not allowed and not refused)
                        or got >= 500
                    ):
                        where = "inside" if inside else "outside"
                        mismatches.append(f"{key} as {role} {where}: {got} {answer.text[:120]}")
        assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
        return calls

    async def disagree(
        self, bodies: Mapping[str, Any] | None = None, elsewhere: Mapping[str, str] | None = None
    ) -> int:
        """Requests whose parts disagree about the scope, for every route; fail listing every
        mismatch, return the number of calls made.

        1. Every route, asked by a caller it admits (anonymous for a public one) with a query
           parameter it does not declare: 422 naming it.
        2. Every route whose rule reads a scope, asked by each role the rule admits inside the
           walk's scope, with the request's real target (the rule's one declared place) outside
           that role's scope: a refusal (403; 422 too when no valid body was given); then the
           same with the caller's own value added in the query string and, for a path scope,
           in the body: a refusal (403 or 422). Never a 2xx: that would be acting outside.

        ``bodies`` are as for ``walk``; a body given here should be valid, so that only the
        scope stands between the request and the handler. ``elsewhere``: for a scope looked
        up from an id (a household, an assessment, a programme) or typed like one (a
        centre's UUID), a value of its kind outside the walk's scope; otherwise a region is
        moved ``beside`` the caller's and an organisation becomes "other-org"."""
        client, settings, access, scope = self.client, self.settings, self.access, self.scope
        path, query, digits = self.path, self.query, self.digits
        mismatches, calls = [], 0
        declared = await query_parameters(client)
        for key, rule in access.items():
            precision = (digits or {}).get(key, 12)
            params = {k: v for k, v in (query or {}).items() if k in declared.get(key, ())}
            body = (bodies or {}).get(key)
            admitted = [r for r in Role if expected(rule, r, True, precision)]
            who = None if rule.access == Access.PUBLIC else scope.caller(admitted[0], True)
            parts = {Place.PATH: dict(path), Place.QUERY: {**params, "undeclared": "1"}}
            answer = await _ask(client, settings, key, parts, body, who)
            calls += 1
            if answer.status_code != 422 or "undeclared" not in answer.text:
                mismatches.append(f"{key} with an undeclared parameter: {answer.status_code}")
            if rule.scope.at is None:
                continue
            for role in admitted:
                if role in (Role.PROVINCE_ADMIN, Role.AUDITOR):
                    continue  # bound to no scope: nothing to be outside of
                who = scope.caller(role, True)
                requests = _outside(rule, who, key, path, params, body, elsewhere or {})
                for variant, allowed, parts, sent in requests:
                    answer = await _ask(client, settings, key, parts, sent, who)
                    calls += 1
                    if answer.status_code not in allowed:
                        got = f"{answer.status_code} {answer.text[:120]}"
                        mismatches.append(f"{key} as {role}, {variant}: {got}")
        assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
        return calls


Parts = dict[Place, dict[str, Any]]


def _outside(
    rule: Rule,
    who: Principal,
    key: str,
    path: Mapping[str, str],
    params: Mapping[str, str],
    body: Any,
    elsewhere: Mapping[str, str],
) -> list[tuple[str, set[int], Parts, Any]]:
    """The requests of ``disagree``'s second part for one route and caller: (what it is,
    the answers allowed, path and query, body)."""
    at = rule.scope.at
    assert at is not None
    parts: Parts = {Place.PATH: dict(path), Place.QUERY: dict(params), Place.BODY: dict(body or {})}
    inside = parts[at.place][at.name]
    if at.name in elsewhere:
        outside = elsewhere[at.name]
    elif rule.scope.by == "org":
        outside = "other-org"
    else:
        outside = beside(inside, len(who.region or "") or 6)
    parts[at.place][at.name] = outside
    sent = parts[Place.BODY] if body is not None or at.place == Place.BODY else None
    strict = body is not None or key.startswith("GET ")
    variants = [(f"{at.name} outside", {403} if strict else {403, 422}, parts, sent)]
    if at.place != Place.QUERY:  # the caller's own value in the query string
        query = {**parts[Place.QUERY], at.name: inside}
        own_query = {**parts, Place.QUERY: query}
        variants.append((f"{at.name} outside, own in the query", {403, 422}, own_query, sent))
    if at.place == Place.PATH:  # … and in the body
        own_body = {**(sent or {}), at.name: inside}
        variants.append((f"{at.name} outside, own in the body", {403, 422}, parts, own_body))
    return variants


async def _ask(
    client: httpx.AsyncClient,
    settings: AuthSettings,
    key: str,
    parts: Parts,
    body: Any,
    who: Principal | None,
) -> httpx.Response:
    method, template = key.split(" ", 1)
    headers = bearer(settings, who) if who else {"Authorization": ""}
    headers["Idempotency-Key"] = str(uuid4())  # some postings require one (partners')
    url = template.format(**parts[Place.PATH])
    return await client.request(method, url, params=parts[Place.QUERY], json=body, headers=headers)
