"""Personal data in the registry: the clear resident ID number sealed at rest, read in clear
only through one recorded route by the officers who keep the file, masked in every other
answer, and erased for good on request (crypto-shredding) while the events stay."""

import base64
import csv
import os
import re

import pytest
from sqlalchemy import select

from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.testing import as_
from tuopin_registry.application import bulk
from tuopin_registry.application.people import identity_reads, people, reveal
from tuopin_registry.application.sealing import PeopleKey, SealBroken, Sealed
from tuopin_registry.config import RegistrySettings
from tuopin_registry.examples import filing, member, new_village, resident_id

VILLAGE = "621121100201"
COUNTY = VILLAGE[:6]
# An 18-character resident ID number standing alone (not a run of digits inside a hash).
CLEAR_ID = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


@pytest.fixture
def settings(make_settings, people_key: str) -> RegistrySettings:
    return make_settings(people_key=people_key)


async def vault_row(application, person_id: str):
    async with application.state.runtime.engine.connect() as conn:
        return (await conn.execute(select(people).where(people.c.person_id == person_id))).one()


async def file_household(client, **more) -> tuple[dict, dict]:
    body = filing(village=VILLAGE, **more)
    created = await client.post("/v1/households", json=body)
    assert created.status_code == 201, created.text
    return body, created.json()


def person_of(household: dict, relation: str) -> str:
    return next(m["person_id"] for m in household["members"] if m["relation"] == relation)


async def test_the_vault_holds_only_sealed_numbers_bound_to_their_person(service) -> None:
    client, application = service
    body, household = await file_household(client)
    head, spouse = person_of(household, "head"), person_of(household, "spouse")
    number = body["members"][0]["id_number"]

    row = await vault_row(application, head)
    raw = b"".join(bytes(row._mapping[c]) for c in Sealed.__dataclass_fields__)
    assert number.encode() not in raw and number[:-1].encode() not in raw
    assert row.erased_at is None

    key: PeopleKey = application.state.runtime.settings.people()
    sealed = Sealed(*(row._mapping[c] for c in Sealed.__dataclass_fields__))
    assert key.open(head, sealed) == number
    with pytest.raises(SealBroken):  # a sealed number moved onto another person's row
        key.open(spouse, sealed)
    with pytest.raises(SealBroken):  # another master key
        PeopleKey(os.urandom(32)).open(head, sealed)
    assert (
        "secret" in repr(key) and str(application.state.runtime.settings.people_key) == "**********"
    )


def test_a_people_key_that_is_not_256_bits_of_base64_is_refused_without_repeating_it() -> None:
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError) as refused:
            RegistrySettings(people_key=bad)
        assert bad not in str(refused.value)


async def test_the_clear_number_is_read_by_the_officers_who_keep_the_file_and_recorded(
    service,
) -> None:
    client, application = service
    body, household = await file_household(client)
    head = person_of(household, "head")
    number = body["members"][0]["id_number"]
    url = f"/v1/people/{head}/identity"

    county = as_(application, Role.COUNTY_OFFICER, region=COUNTY)
    read = await client.get(url, headers=county)
    assert read.status_code == 200, read.text
    assert read.json() == {
        "person_id": head,
        "household_id": household["household_id"],
        "name": "王建国",
        "id_number": number,
        "id_number_masked": "*" * 14 + number[-4:],
    }
    assert read.headers["cache-control"] == "no-store"
    assert (await client.get(url)).status_code == 200  # the province

    for outside in (
        as_(application, Role.COUNTY_OFFICER, region="621122"),  # the neighbouring county
        as_(application, Role.TOWNSHIP_OFFICER, region=VILLAGE[:9]),  # works with the mask
        as_(application, Role.VILLAGE_CADRE, region=VILLAGE),
        as_(application, Role.AUDITOR),
        as_(application, Role.EVALUATOR, counties=[COUNTY]),
        as_(application, Role.BANK, org="rcc-gansu"),
    ):
        refused = await client.get(url, headers=outside)
        assert refused.status_code == 403 and number not in refused.text

    async with application.state.runtime.engine.connect() as conn:
        reads = (await conn.execute(select(identity_reads))).all()
    assert [(r.person_id, r.actor) for r in reads] == [
        (head, f"county_officer:test-county_officer@{COUNTY}"),
        (head, "province_admin:test-admin@62"),
    ]
    assert all(r.read_at is not None for r in reads)


async def test_erasure_shreds_the_number_for_good_and_leaves_the_events_as_they_were(
    service,
) -> None:
    client, application = service
    body, household = await file_household(client)
    household_id = household["household_id"]
    spouse, head = person_of(household, "spouse"), person_of(household, "head")
    number = body["members"][1]["id_number"]
    assert (await client.get(f"/v1/people/{spouse}/identity")).json()["id_number"] == number

    request = {"effective_date": "2017-03-01", "reason": "申请 2017-0042: moved away, asks"}
    # Someone the register still serves keeps their real-name identity: they leave first.
    refused = await client.post(f"/v1/people/{spouse}/erasure", json=request)
    assert refused.status_code == 409, refused.text
    left = await client.post(
        f"/v1/households/{household_id}/members/{spouse}/removal",
        json={"effective_date": "2017-02-01", "reason": "married out"},
    )
    assert left.status_code == 200, left.text
    before = (await client.get(f"/v1/households/{household_id}/history")).json()["events"]

    erased = await client.post(
        f"/v1/people/{spouse}/erasure", json=request, headers={"Idempotency-Key": "req-0042"}
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["person_id"] == spouse and number not in erased.text
    replayed = await client.post(
        f"/v1/people/{spouse}/erasure", json=request, headers={"Idempotency-Key": "req-0042"}
    )
    assert replayed.headers["idempotent-replayed"] == "true"
    again = await client.post(f"/v1/people/{spouse}/erasure", json=request)
    assert again.status_code == 409  # already erased

    gone = await client.get(f"/v1/people/{spouse}/identity")
    assert gone.status_code == 410 and gone.json()["type"].endswith("identity-erased")
    assert number not in gone.text and number[-4:] not in gone.text  # not even the mask

    # Every earlier event kept, same ids and facts, but what it said of the spouse in clear
    # (identity hash, birth year and month; their sealed details) is blanked; the erasure
    # appended.
    after = (await client.get(f"/v1/households/{household_id}/history")).json()["events"]
    blank = {"id_number_hash": None, "birth_year": None, "birth_month": None, "sealed": None}
    for m in before[0]["data"]["members"]:
        if m["person_id"] == spouse:
            m.update(blank)
    assert after[: len(before)] == before
    [erasure] = after[len(before) :]
    assert erasure["type"] == "registry.household.person_erased.v1"
    assert erasure["data"]["person_id"] == spouse and erasure["data"]["reason"] == request["reason"]
    assert erasure["actor"] == "province_admin:test-admin@62"
    assert "李秀英" not in str(after) and number[-4:] not in str(after)

    # In the database: the key is gone, the sealed bytes stay and open no more.
    row = await vault_row(application, spouse)
    assert row.data_key_wrapped is None and row.erased_at is not None
    assert number.encode() not in bytes(row.id_number_sealed)
    async with application.state.runtime.engine.connect() as conn:
        with pytest.raises(Exception, match="erased"):
            await reveal(conn, application.state.runtime.settings.people(), spouse)
        assert await reveal(conn, application.state.runtime.settings.people(), head)

    # Only the province erases; a county officer may not, even in their county.
    county = as_(application, Role.COUNTY_OFFICER, region=COUNTY)
    assert (
        await client.post(f"/v1/people/{head}/erasure", json=request, headers=county)
    ).status_code == 403


async def test_a_wrongly_identified_household_can_be_erased_whole(service) -> None:
    client, _ = service
    _, household = await file_household(client)
    removal = {"effective_date": "2016-06-01", "reason": "清退: not poor on re-check"}
    removed = await client.post(f"/v1/households/{household['household_id']}/removal", json=removal)
    assert removed.status_code == 200, removed.text
    request = {"effective_date": "2016-07-01", "reason": "申请 2016-0007"}
    for m in household["members"]:
        erased = await client.post(f"/v1/people/{m['person_id']}/erasure", json=request)
        assert erased.status_code == 200, erased.text
        assert (await client.get(f"/v1/people/{m['person_id']}/identity")).status_code == 410
    unknown = await client.post(
        "/v1/people/00000000-0000-4000-8000-000000000000/erasure", json=request
    )
    assert unknown.status_code == 404


async def test_every_answer_that_names_people_masks_their_numbers(service, tmp_path) -> None:
    client, _ = service
    body = filing(village=VILLAGE)
    filed = await client.post("/v1/households", json=body)
    household_id = filed.json()["household_id"]
    newborn = member("child", name="王小红", id_number=resident_id(male=False))
    numbers = {m["id_number"] for m in [*body["members"], newborn]}
    joining = {"member": newborn, "effective_date": "2017-01-01"}
    answers = [filed, await client.post(f"/v1/households/{household_id}/members", json=joining)]
    # Refusals name the person too: one already filed, one with a bad check digit.
    twice = filing("621121-0002", village=VILLAGE, members=[member(id_number=newborn["id_number"])])
    head_id = body["members"][0]["id_number"]
    bad = head_id[:-1] + ("0" if head_id[-1] != "0" else "1")  # the check digit wrong
    refusals = [
        await client.post("/v1/households", json=twice),
        await client.post(
            "/v1/households", json=filing("621121-0003", members=[member(id_number=bad)])
        ),
    ]
    assert [r.status_code for r in refusals] == [409, 422], [r.text for r in refusals]
    numbers.add(bad)
    village = new_village(VILLAGE)
    await client.post("/v1/villages", json=village)

    # An import whose bad row carries an ID number in the wrong column (birth date).
    misplaced = resident_id()
    numbers.add(misplaced)
    export = tmp_path / "export.csv"
    with open(export, "w", newline="", encoding="utf-8") as file:  # noqa: ASYNC230 (a tiny file)
        writer = csv.DictWriter(file, list(bulk.COLUMNS))
        writer.writeheader()
        writer.writerow(
            {
                "file_number": "621121-0900",
                "village_code": VILLAGE,
                "poverty_attribute": "general",
                "primary_cause": "illness",
                "identified_year": "2016",
                "effective_date": "2016-04-01",
                "name": "赵六",
                "id_number": resident_id(),
                "relation": "head",
                "birth_date": misplaced,
            }
        )
    content = export.read_bytes()
    imported = await client.post("/v1/imports", files={"file": ("export.csv", content, "text/csv")})
    assert imported.status_code == 201, imported.text
    assert imported.json()["totals"]["households_rejected"] == 1
    import_id = imported.json()["import_id"]

    answers.append(
        await client.get("/v1/villages/621121100201/public-notice", headers={"Authorization": ""})
    )
    for url in (
        f"/v1/households/{household_id}",
        f"/v1/households/{household_id}?known_at=2030-01-01T00:00:00Z",
        f"/v1/households/{household_id}/history",
        f"/v1/households?region={COUNTY}",
        "/v1/events",
        f"/v1/villages/{VILLAGE}",
        f"/v1/villages?region={COUNTY}",
        f"/v1/summary?region={COUNTY}",
        f"/v1/reports/without-responsible?region={COUNTY}",
        f"/v1/imports/{import_id}",
        f"/v1/imports/{import_id}/errors.csv",
    ):
        answers.append(await client.get(url))
    answers += [imported]

    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    for answer in [*answers, *refusals]:
        assert not CLEAR_ID.search(answer.text), f"{answer.request.url} shows a clear number"
        assert not any(n in answer.text for n in numbers), answer.request.url
    errors = answers[-2].text
    assert "*" * 14 + misplaced[-4:] in errors  # masked, still telling
    notice = answers[2].json()["identified"]
    assert notice and all("*" in e["head_id_number"] and "*" in e["head_name"] for e in notice)


async def test_events_name_no_one_and_seal_what_is_personal(service) -> None:
    """Name, sex, birth date, health and mask travel sealed under the person's own key;
    other services read birth year and month, has_disability, schooling, insurance."""
    from tuopin_registry.application import people as vault_people

    client, application = service
    members = [
        member(name="王建国", id_number=resident_id(male=True)),
        member("spouse", name="李秀英", id_number=resident_id(male=False), health="disabled"),
    ]
    _, household = await file_household(client, members=members)
    hid = household["household_id"]
    head, spouse = person_of(household, "head"), person_of(household, "spouse")
    change = {"effective_date": "2017-03-01", "health": "serious_illness"}
    changed = await client.post(f"/v1/households/{hid}/members/{head}/changes", json=change)
    assert changed.status_code == 200, changed.text
    assert {m["person_id"]: m["health"] for m in changed.json()["members"]} == {
        head: "serious_illness",
        spouse: "disabled",
    }

    runtime = application.state.runtime
    async with runtime.engine.connect() as conn:
        recorded = await runtime.store.read_all(conn, 0, 100)
        keys = await vault_people.person_keys(conn, runtime.settings.people(), [head, spouse])
    topic = " ".join(e.envelope(runtime.store.source).to_json().decode() for e in recorded)
    for personal in ("王建国", "李秀英", "serious_illness", '"disabled"', "male", "1985-05-17"):
        assert personal not in topic, personal
    filed, update = recorded[0].data, recorded[-1].data
    by_person = {m["person_id"]: m for m in filed["members"]}
    assert (
        by_person[spouse]["has_disability"] is True and by_person[head]["has_disability"] is False
    )
    assert (by_person[head]["birth_year"], by_person[head]["birth_month"]) == (1985, 5)
    assert recorded[-1].type == "registry.household.member_updated.v2" and "health" not in update

    opened = keys[head].open(update["sealed"])
    assert opened == {
        "name": "王建国",
        "sex": "male",
        "birth_date": "1985-05-17",
        "health": "serious_illness",
        "id_number_masked": "*" * 14 + members[0]["id_number"][-4:],
    }
    assert keys[spouse].open(by_person[spouse]["sealed"])["name"] == "李秀英"
    with pytest.raises(SealBroken):  # one person's details never open with another's key
        keys[spouse].open(by_person[head]["sealed"])
