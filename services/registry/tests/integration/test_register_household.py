"""Filing households over HTTP: events, identity protection, deduplication, idempotency,
clear errors with nothing written."""

from datetime import date

import pytest
from sqlalchemy import select

from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.testing import as_
from tuopin_registry.application.people import people, reveal
from tuopin_registry.examples import filing, member, resident_id


async def head_of_feed(client) -> int:
    return (await client.get("/v1/events")).json()["head"]


async def test_filing_appends_one_event_with_identity_hashed_and_masked(service) -> None:
    client, application = service
    body = filing()
    cadre = as_(application, Role.VILLAGE_CADRE, region="621121100201")
    created = await client.post("/v1/households", json=body, headers=cadre)
    assert created.status_code == 201, created.text
    household = created.json()
    assert household["status"] == "identified" and household["version"] == 1
    assert created.headers["etag"] == '"1"'
    head_id = body["members"][0]["id_number"]
    [head] = [m for m in household["members"] if m["relation"] == "head"]
    assert head["sex"] == "male" and head["birth_year"] == 1985  # from the ID number
    assert "birth_date" not in head and "id_number_masked" not in head  # no digit of either

    history = (await client.get(f"/v1/households/{household['household_id']}/history")).json()
    [event] = history["events"]
    assert event["type"] == "registry.household.registered.v3"
    # The event records the authenticated caller, never a header the caller chose.
    assert event["actor"] == "village_cadre:test-village_cadre@621121100201"
    assert len(event["data"]["members"]) == 3
    assert head_id not in created.text and head_id not in str(event)  # never in clear
    assert all(len(m["id_number_hash"]) == 64 for m in event["data"]["members"])


async def test_a_number_under_a_code_renamed_since_is_filed(client) -> None:
    """issue 14.1: a 通渭 head born in 1980 carries 621121, a code in force only from 2003
    (stdnum's check refused him), and a wife born in 1950 the example's 620102, in force
    from 1983: both codes were issued, so both numbers are taken."""
    head = member(id_number="621121198001010113")
    wife = member("spouse", name="李秀英", id_number=resident_id(date(1950, 3, 8), male=False))
    created = await client.post("/v1/households", json=filing(members=[head, wife]))
    assert created.status_code == 201, created.text
    members = {m["relation"]: m for m in created.json()["members"]}
    assert (members["head"]["birth_year"], members["head"]["sex"]) == (1980, "male")
    assert (members["spouse"]["birth_year"], members["spouse"]["sex"]) == (1950, "female")


async def test_the_clear_number_is_kept_only_in_the_people_vault(client, settings) -> None:
    body = filing()
    await client.post("/v1/households", json=body)
    from tuopin_eventkit.db import create_engine

    engine = create_engine(settings.database_url)
    async with engine.connect() as conn:
        sealed = (await conn.execute(select(people.c.person_id))).scalars().all()
        kept = {await reveal(conn, settings.people(), person_id) for person_id in sealed}
    await engine.dispose()
    assert kept == {m["id_number"] for m in body["members"]}  # sealed, and opens again


async def test_one_person_cannot_be_in_two_households(client) -> None:
    first = (await client.post("/v1/households", json=filing())).json()
    shared = filing()["members"][0] | {"id_number": resident_id()}
    await client.post("/v1/households", json=filing("621121-0002", members=[shared]))

    clash = await client.post(
        "/v1/households",
        json=filing("621121-0003", members=[member(id_number=shared["id_number"])]),
    )
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["existing_household"] != first["household_id"]
    assert "is already a member of household" in clash.json()["detail"]

    joining = await client.post(
        f"/v1/households/{first['household_id']}/members",
        json={
            "effective_date": "2016-05-01",
            "member": member("other", id_number=shared["id_number"]),
        },
    )
    assert joining.status_code == 409
    assert await head_of_feed(client) == 2


async def test_a_file_number_is_filed_once(client) -> None:
    await client.post("/v1/households", json=filing())
    again = await client.post("/v1/households", json=filing())
    assert again.status_code == 409 and "already registered" in again.json()["detail"]


async def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(client) -> None:
    headers = {"Idempotency-Key": "office-621121-0001"}
    body = filing()
    first = await client.post("/v1/households", json=body, headers=headers)
    again = await client.post("/v1/households", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = await client.post(
        "/v1/households", json={**body, "identified_year": 2017}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert await head_of_feed(client) == 1


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"county_code": "110101"}, "county_code"),
        ({"village_code": "621122100201"}, "does not lie in county"),
        # The shape of a Gansu code, but no county in the region table (GB/T 2260).
        ({"county_code": "629999", "village_code": "629999100201"}, "no county 629999 in Gansu"),
        ({"members": []}, "members"),
        (
            {"members": [member(id_number="620102198505170010")]},
            "invalid resident ID number **************0010",
        ),
        ({"members": [member(sex="female")]}, "disagrees with ID number"),
        ({"members": [member(relation="spouse")]}, "exactly one head"),
        ({"primary_cause": "bad_luck"}, "primary_cause"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
async def test_bad_filings_are_problems_and_write_nothing(client, change, needle) -> None:
    answer = await client.post("/v1/households", json={**filing(), **change})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert needle in answer.text
    assert await head_of_feed(client) == 0


async def test_unknown_household_is_a_404_problem(client) -> None:
    answer = await client.get("/v1/households/8f14e45f-ceea-4671-8e9f-36b5e5b0b1a1")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
