"""Who may call what in the registry, over HTTP: the whole matrix of route × role × a
caller inside and outside the scope, then the promises behind it — another county's
household is out of reach, and a token that does not verify is a 401 asking for one."""

from uuid import uuid4

import pytest

from tuopin_eventkit.auth import AuthSettings, Principal, Role, mint
from tuopin_eventkit.matrix import Scope, walk
from tuopin_eventkit.testing import as_, bearer, client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app, spec
from tuopin_registry.examples import filing

VILLAGE = "621121100201"
COUNTY = VILLAGE[:6]


@pytest.fixture
def settings(database_url: str, kafka_settings) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url, kafka=kafka_settings, run_relay=False, run_projections=False
    )


@pytest.fixture
async def service(settings):
    application = app(settings)
    async with client_for(application) as client:
        yield client, application


async def head_of_feed(client) -> int:
    return (await client.get("/v1/events")).json()["head"]


async def test_every_route_answers_each_role_inside_and_outside_as_the_policy_says(
    service,
) -> None:
    client, application = service
    filed = await client.post("/v1/households", json=filing(village=VILLAGE))
    assert filed.status_code == 201, filed.text
    village = {"village_code": VILLAGE, "name": "李家村", "poor": True,
               "rural_population": 812, "effective_date": "2016-01-01"}  # fmt: skip
    assert (await client.post("/v1/villages", json=village)).status_code == 201

    path = {
        "household_id": filed.json()["household_id"], "item_id": str(uuid4()),
        "village_code": VILLAGE, "code": COUNTY, "import_id": str(uuid4()),
        "person_id": filed.json()["members"][0]["person_id"],
    }  # fmt: skip
    # Filings are scoped by the village their body names; the walk sends only that field
    # (so an allowed call answers 422 and writes nothing).
    filings = ["POST /v1/households", "POST /v1/villages"]
    bodies = {key: {"village_code": VILLAGE} for key in filings}
    # Lists, counts, the reference regions and a clear identity touch a county, not a
    # village: no township officer or village cadre is inside it.
    county_wide = [
        "GET /v1/households", "GET /v1/villages", "GET /v1/summary",
        "GET /v1/reports/without-responsible", "GET /v1/regions/{code}",
        "GET /v1/people/{person_id}/identity",
    ]  # fmt: skip
    head = await head_of_feed(client)
    calls = await walk(
        client, application.state.runtime.settings.auth, spec.policy, Scope(VILLAGE, {}), path,
        query={"region": COUNTY}, bodies=bodies, digits=dict.fromkeys(county_wide, 6),
    )  # fmt: skip
    assert calls == len(spec.policy) * (1 + 2 * len(Role))
    assert await head_of_feed(client) == head  # no call of the walk wrote anything


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
