"""Who may call what in the registry, over HTTP: the whole matrix of route × role × a
caller inside and outside the scope, then the promises behind it — another county's
household is out of reach, and a token that does not verify is a 401 asking for one."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt

from tuopin_eventkit.matrix import Matrix, Scope
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings, mint
from tuopin_eventkit.testing import as_, bearer
from tuopin_registry.entrypoints.app import spec
from tuopin_registry.examples import filing, member, new_village, resident_id

VILLAGE = "621121100201"
COUNTY = VILLAGE[:6]


async def head_of_feed(client) -> int:
    return (await client.get("/v1/events")).json()["head"]


async def test_every_route_answers_each_role_inside_and_outside_as_the_policy_says(
    service,
) -> None:
    client, application = service
    filed = await client.post("/v1/households", json=filing(village=VILLAGE))
    assert filed.status_code == 201, filed.text
    village = new_village(VILLAGE)
    assert (await client.post("/v1/villages", json=village)).status_code == 201

    path = {
        "household_id": filed.json()["household_id"],
        "item_id": str(uuid4()),
        "village_code": VILLAGE,
        "code": COUNTY,
        "import_id": str(uuid4()),
        "person_id": filed.json()["members"][0]["person_id"],
    }
    # Filings are scoped by the village their body names; the walk sends only that field
    # (so an allowed call answers 422 and writes nothing).
    filings = ["POST /v1/households", "POST /v1/villages"]
    bodies = {key: {"village_code": VILLAGE} for key in filings}
    # Lists, counts, the reference regions and a clear identity touch a county, not a
    # village: no township officer or village cadre is inside it.
    county_wide = [
        "GET /v1/households",
        "GET /v1/villages",
        "GET /v1/summary",
        "GET /v1/reports/without-responsible",
        "GET /v1/regions/{code}",
        "GET /v1/hardship-belts",
        "GET /v1/hardship-belts/{code}",
        "GET /v1/people/{person_id}/identity",
    ]
    # What lies elsewhere, for the requests whose parts disagree about the scope.
    other = (await client.post("/v1/households", json=filing("620121-0001", ELSEWHERE))).json()
    elsewhere = {
        "household_id": other["household_id"],
        "person_id": other["members"][0]["person_id"],
    }
    head = await head_of_feed(client)
    auth, digits = application.state.runtime.settings.auth, dict.fromkeys(county_wide, 6)
    matrix = Matrix(client, auth, spec.access, Scope(VILLAGE, {}), path, {"region": COUNTY}, digits)
    calls = await matrix.walk(bodies)
    assert calls == len(spec.access) * (1 + 2 * len(Role))
    assert await head_of_feed(client) == head  # no call of the walk wrote anything
    # Valid bodies now, each aimed outside the caller (or inside, with a parameter the
    # route does not declare): only the scope stands between them and the handler.
    await matrix.disagree(VALID, elsewhere)
    assert await head_of_feed(client) == head  # and none of these either


ELSEWHERE = "620121100201"  # another city: outside every scoped caller of the walk
DAY = "2016-05-01"
NEED = {"kind": "industry", "description": "种植", "effective_date": DAY}
PLAN = {
    "kind": "industry",
    "plan": "养殖",
    "funds": 100,
    "due_date": "2016-12-31",
    "effective_date": DAY,
}
PROGRESS = {"progress_percent": 10, "spent": 0, "completed": False, "effective_date": DAY}
HOUSEHOLD = "POST /v1/households/{household_id}"
VILLAGE_ROUTE = "POST /v1/villages/{village_code}"
# A valid body for every write the registry scopes.
VALID = {
    "POST /v1/households": filing(village=VILLAGE),
    f"{HOUSEHOLD}/members": {
        "member": member("child", id_number=resident_id()),
        "effective_date": DAY,
    },
    f"{HOUSEHOLD}/members/{{item_id}}/removal": {"effective_date": DAY},
    f"{HOUSEHOLD}/members/{{item_id}}/changes": {"effective_date": DAY, "disabled": True},
    f"{HOUSEHOLD}/causes": {"primary_cause": "disaster", "effective_date": DAY},
    f"{HOUSEHOLD}/incomes": {
        "year": 2016,
        "wages": 1,
        "production_and_business": 0,
        "property": 0,
        "transfers": 0,
        "effective_date": DAY,
    },
    f"{HOUSEHOLD}/conditions": {
        "housing_safe": True,
        "drinking_water_safe": True,
        "effective_date": DAY,
    },
    f"{HOUSEHOLD}/needs": NEED,
    f"{HOUSEHOLD}/measures": PLAN,
    f"{HOUSEHOLD}/measures/{{item_id}}/progress": PROGRESS,
    f"{HOUSEHOLD}/responsibility": {
        "cadre_name": "张三",
        "cadre_unit": "县扶贫办",
        "effective_date": DAY,
    },
    f"{HOUSEHOLD}/relocation": {"relocating": False, "effective_date": DAY},
    f"{HOUSEHOLD}/cooperative": {"cooperative": "种植合作社", "effective_date": DAY},
    f"{HOUSEHOLD}/assistance": {"effective_date": DAY},
    f"{HOUSEHOLD}/exit-proposal": {"appraisal_date": DAY},
    f"{HOUSEHOLD}/exit-notice": {"notice_from": DAY, "notice_until": "2016-05-10"},
    f"{HOUSEHOLD}/return-to-poverty": {"cause": "illness", "effective_date": DAY},
    f"{HOUSEHOLD}/removal": {"effective_date": DAY, "reason": "错评"},
    "POST /v1/villages": new_village(VILLAGE, effective_date=DAY),
    f"{VILLAGE_ROUTE}/responsibility": {
        "first_secretary": "李书记",
        "work_team": ["王"],
        "responsible_unit": "省厅",
        "effective_date": DAY,
    },
    f"{VILLAGE_ROUTE}/profile": {
        "poor": True,
        "rural_population": 800,
        "cooperatives": 1,
        "mutual_aid_fund": 0,
        "effective_date": DAY,
    },
    f"{VILLAGE_ROUTE}/needs": NEED,
    f"{VILLAGE_ROUTE}/measures": PLAN,
    f"{VILLAGE_ROUTE}/measures/{{item_id}}/progress": PROGRESS,
}


async def test_a_county_officer_cannot_change_another_countys_household(service) -> None:
    client, application = service
    elsewhere = await client.post("/v1/households", json=filing(village="621122100201"))
    household = elsewhere.json()["household_id"]
    head = await head_of_feed(client)

    officer = as_(application, Role.COUNTY_OFFICER, region=COUNTY)
    causes = {"primary_cause": "disaster", "effective_date": "2016-05-01"}
    refused = await client.post(f"/v1/households/{household}/causes", json=causes, headers=officer)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert (await client.get(f"/v1/households/{household}", headers=officer)).status_code == 403
    assert await head_of_feed(client) == head  # nothing written
    file = (await client.get(f"/v1/households/{household}")).json()
    assert file["primary_cause"] == "illness" and file["version"] == 1

    # The same officer changes a household of their own county, recorded as theirs.
    mine = (await client.post("/v1/households", json=filing("621121-0009"))).json()
    changed = await client.post(
        f"/v1/households/{mine['household_id']}/causes", json=causes, headers=officer
    )
    assert changed.status_code == 200, changed.text
    history = (await client.get(f"/v1/households/{mine['household_id']}/history")).json()
    assert history["events"][-1]["actor"] == f"county_officer:test-county_officer@{COUNTY}"


def signed(auth: AuthSettings, **claims: object) -> dict[str, str]:
    """The header of a token signed with the service's own key, any claims at all."""
    now = datetime.now(UTC)
    token = {"iss": auth.issuer, "aud": auth.audience, "sub": "x", "iat": now}
    token |= {"exp": now + timedelta(minutes=5), **claims}
    key = auth.signing_key.get_secret_value()
    return {"Authorization": f"Bearer {jwt.encode(token, key, algorithm='HS256')}"}


async def test_a_missing_expired_or_forged_token_is_a_401_asking_for_a_bearer(service) -> None:
    client, application = service
    auth = application.state.runtime.settings.auth
    officer = Principal("officer", Role.COUNTY_OFFICER, region=COUNTY)
    expired = mint(auth, officer.subject, officer.role, region=COUNTY, minutes=-10)
    forged = bearer(AuthSettings(signing_key="a-key-of-someone-else-not-the-services-own"), officer)
    tampered = bearer(auth, officer)["Authorization"][:-4] + "AAAA"
    for headers in (
        {"Authorization": ""},
        {"Authorization": f"Bearer {expired}"},
        forged,
        {"Authorization": tampered},
        {"Authorization": "Basic b2ZmaWNlcjpwYXNzd29yZA=="},
        # Claims out of shape, each a 401 (a list region was a 500; the padded county
        # codes read province-wide), and a token for 80 years.
        signed(auth, role="county_officer", region=[COUNTY]),
        signed(auth, role="evaluator", counties=[""]),
        signed(auth, role="evaluator", counties=["620000"]),
        signed(auth, role="auditor", exp=datetime.now(UTC) + timedelta(days=80 * 365)),
    ):
        answer = await client.get("/v1/households", params={"region": COUNTY}, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.headers["content-type"] == "application/problem+json"
    # The public notice needs no token at all.
    notice = await client.get(
        f"/v1/villages/{VILLAGE}/public-notice", headers={"Authorization": ""}
    )
    assert notice.status_code == 200


async def test_a_query_naming_the_officers_village_never_files_a_body_elsewhere(service) -> None:
    """Issue 12, the registry's attack: the check read ?village_code= (the officer's own)
    and the handler filed the body's household in another county (201)."""
    client, application = service
    officer = as_(application, Role.COUNTY_OFFICER, region=COUNTY)
    there = filing("621122-0001", village="621122100201")
    head = await head_of_feed(client)
    attack = await client.post(
        "/v1/households", params={"village_code": VILLAGE}, json=there, headers=officer
    )
    assert attack.status_code == 422, attack.text
    assert attack.json()["errors"][0]["loc"] == ["query", "village_code"]
    refused = await client.post("/v1/households", json=there, headers=officer)
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "a county_officer of 621121 may not POST /v1/households for region 621122100201"
    )
    assert await head_of_feed(client) == head  # nothing filed
    mine = await client.post("/v1/households", json=filing(village=VILLAGE), headers=officer)
    assert mine.status_code == 201, mine.text


async def test_an_officers_bad_input_is_answered_422_or_404_not_403(service) -> None:
    client, application = service
    officer = as_(application, Role.COUNTY_OFFICER, region=COUNTY)
    mine = (await client.post("/v1/households", json=filing(village=VILLAGE))).json()
    theirs = (await client.post("/v1/households", json=filing("621122-1", "621122100201"))).json()
    causes = {"primary_cause": "disaster", "effective_date": "2016-05-01"}
    for household in (mine["household_id"], theirs["household_id"]):
        malformed = await client.post(
            f"/v1/households/{household}/causes", json={"primary_cause": 7}, headers=officer
        )
        assert malformed.status_code == 422, malformed.text
    unknown = await client.post(f"/v1/households/{uuid4()}/causes", json=causes, headers=officer)
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("no household ")
    assert (await client.get(f"/v1/people/{uuid4()}/identity", headers=officer)).status_code == 404
    assert (await client.post("/v1/households", json={}, headers=officer)).status_code == 422
    refused = await client.post(
        f"/v1/households/{theirs['household_id']}/causes", json=causes, headers=officer
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == (
        "a county_officer of 621121 may not POST /v1/households/{household_id}/causes "
        "for region 621122100201"
    )
    # A role the route is not for learns nothing from it, valid input or not.
    bank = as_(application, Role.BANK, org="gansu-rcc")
    assert (await client.post("/v1/households", json={}, headers=bank)).status_code == 403
