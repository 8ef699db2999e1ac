"""The authorization matrix, walked over HTTP: every route of a service's policy × every
role × a caller inside and one outside the scope the request touches, plus no token.

An allowed call may still fail for its own reasons (404, 409, 422 — the walk sends only
the fields that name the scope), so "allowed" means any answer but 401 and 403; a refused
one must be exactly 403 (401 without a token) — or 422 for a caller of a role the route
is for, outside its scope, whose request was invalid inside as well: input is validated
before the scope is checked, on the validated values.
What each role may do is restated here from the issue's table, apart from
``auth.permits``, so the test checks the policy as wired — rules, scope resolvers, read
models — not the function against itself.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from tuopin_eventkit.auth import Access, AuthSettings, Policy, Principal, Role, Rule
from tuopin_eventkit.testing import bearer

REGIONAL_DIGITS = {Role.CITY_OFFICER: 4, Role.COUNTY_OFFICER: 6, Role.TOWNSHIP_OFFICER: 9,
                   Role.VILLAGE_CADRE: 12}  # fmt: skip
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


async def walk(
    client: httpx.AsyncClient,
    settings: AuthSettings,
    policy: Policy,
    scope: Scope,
    path: Mapping[str, str],
    query: Mapping[str, str] | None = None,
    bodies: Mapping[str, Any] | None = None,
    digits: Mapping[str, int] | None = None,
) -> int:
    """Walk every route; fail listing every mismatch. ``path`` fills route templates,
    ``query`` goes with every request that declares the parameter, ``bodies`` per route
    ("METHOD /template"), ``digits`` per route whose region is coarser than a village.
    Returns the number of calls made."""
    mismatches, calls = [], 0
    declared = await query_parameters(client)
    for key, rule in policy.items():
        method, template = key.split(" ", 1)
        url = template.format(**path)
        body = (bodies or {}).get(key)
        params = {k: v for k, v in (query or {}).items() if k in declared.get(key, ())}
        anonymous = await client.request(method, url, params=params, json=body,
                                         headers={"Authorization": ""})  # fmt: skip
        calls += 1
        want = 200 if rule.access == Access.PUBLIC else 401
        if (anonymous.status_code == 401) != (want == 401):
            mismatches.append(f"{key} without a token: {anonymous.status_code}")
        for role in Role:
            precision = (digits or {}).get(key, 12)
            for inside in (True, False):
                who = scope.caller(role, inside)
                answer = await client.request(method, url, params=params, json=body,
                                              headers=bearer(settings, who))  # fmt: skip
                calls += 1
                allowed = expected(rule, role, inside, precision)
                got = answer.status_code
                if inside:
                    got_inside = got
                # A role the route is for has its request validated before its scope is
                # checked: what was invalid (422) inside is invalid outside too.
                invalid = got == got_inside == 422 and expected(rule, role, True)
                refused = got == 403 or (not inside and invalid)
                if (allowed and got in (401, 403)) or (not allowed and not refused) or got >= 500:
                    where = "inside" if inside else "outside"
                    mismatches.append(f"{key} as {role} {where}: {got} {answer.text[:120]}")
    assert not mismatches, f"{len(mismatches)} mismatches:\n" + "\n".join(mismatches)
    return calls


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
