"""Two times on every fact, as a county office back-filling 2016 in 2017 and an auditor
reading the books use them: ``as_of`` is the business date (what was true that day),
``known_at`` the recording instant (what the books said then)."""

import asyncio
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from tuopin_eventkit.testing import client_for
from tuopin_registry.application.commands import change_household
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing, new_village, resident_id

INCOME_2016 = {
    "effective_date": "2016-12-31",
    "year": 2016,
    "wages": 900000,
    "production_and_business": 0,
    "property": 0,
    "transfers": 0,
}


@pytest.fixture
async def service(settings):
    application = app(settings)
    async with client_for(application) as client:
        yield client, application.state.runtime


async def post(client, hid: str, path: str, body: dict, expect: int = 200) -> dict:
    answer = await client.post(f"/v1/households/{hid}/{path}", json=body)
    assert answer.status_code == expect, answer.text
    return answer.json()


async def state(client, hid: str, **params) -> dict:
    answer = await client.get(f"/v1/households/{hid}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def exited_in_2016(client, runtime) -> str:
    """A household identified in April 2016 and exited on 2016-11-08, all entered today."""
    hid = (await client.post("/v1/households", json=filing())).json()["household_id"]
    await post(client, hid, "assistance", {"effective_date": "2016-05-01"})
    await post(client, hid, "exit-proposal", {"appraisal_date": "2016-11-01"})
    notice = {"notice_from": "2016-11-01", "notice_until": "2016-11-08"}
    await post(client, hid, "exit-notice", notice)
    # The verdict as the exit-verification reaction applies it: judged as of the notice's end.
    async with runtime.engine.begin() as conn:
        await change_household(
            conn,
            runtime.store,
            hid,
            None,
            lambda h: h.conclude_verification(str(uuid4()), True, [], date(2016, 11, 8)),
        )
    return hid


async def test_a_back_filled_exit_is_dated_when_it_happened(service) -> None:
    client, runtime = service
    hid = await exited_in_2016(client, runtime)
    now = await state(client, hid)
    assert (now["status"], now["status_since"]) == ("exited", "2016-11-08")
    assert (await state(client, hid, as_of="2016-12-31"))["status"] == "exited"
    assert (await state(client, hid, as_of="2016-11-07"))["status"] == "exit_publicised"
    assert (await state(client, hid, as_of="2016-06-30"))["status"] == "assisting"
    # Before it was identified it was not on the register at all — a business-time 404.
    early = await client.get(f"/v1/households/{hid}", params={"as_of": "2016-03-31"})
    assert early.status_code == 404 and "as of 2016-03-31" in early.json()["detail"]
    history = (await client.get(f"/v1/households/{hid}/history")).json()["events"]
    exited = history[-1]
    assert exited["type"] == "registry.household.exited.v1"
    assert exited["effectivedate"] == "2016-11-08" and exited["time"][:4] >= "2026"
    until = await client.get(f"/v1/households/{hid}/history", params={"as_of": "2016-05-01"})
    assert [e["type"].split(".")[2] for e in until.json()["events"]] == [
        "registered",
        "assistance_started",
    ]


async def test_a_step_dated_before_the_status_it_leaves_is_refused(service) -> None:
    client, _ = service
    hid = (await client.post("/v1/households", json=filing())).json()["household_id"]
    await post(client, hid, "assistance", {"effective_date": "2016-05-01"})
    refused = await post(client, hid, "exit-proposal", {"appraisal_date": "2016-04-30"}, 422)
    assert "assisting since 2016-05-01" in refused["detail"]
    assert (await state(client, hid))["version"] == 2  # nothing half-written


async def test_a_correction_changes_the_past_figure_and_leaves_the_audit_view(service) -> None:
    client, _ = service
    hid = (await client.post("/v1/households", json=filing())).json()["household_id"]
    await post(client, hid, "incomes", INCOME_2016)
    await asyncio.sleep(0.02)
    before_correction = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.02)
    missing_reason = await post(client, hid, "income-corrections", {**INCOME_2016}, 422)
    assert missing_reason["status"] == 422
    corrected = {**INCOME_2016, "wages": 600000, "reason": "工资流水核实: 多计了一人的工资"}
    await post(client, hid, "income-corrections", corrected)

    def per_head(view: dict) -> int:
        return next(i["per_head"] for i in view["incomes"] if i["year"] == 2016)

    assert per_head(await state(client, hid, as_of="2016-12-31")) == 200000  # 6,000 yuan / 3
    audit = await state(client, hid, as_of="2016-12-31", known_at=before_correction)
    assert per_head(audit) == 300000 and audit["known_at"] is not None
    history = (await client.get(f"/v1/households/{hid}/history")).json()["events"]
    kinds = [e["type"] for e in history]
    assert kinds[-2:] == [
        "registry.household.income_recorded.v1",
        "registry.household.income_corrected.v1",
    ]
    assert history[-1]["data"]["reason"].startswith("工资流水核实")


async def test_a_mistaken_exit_is_annulled_and_both_stay_in_the_history(service) -> None:
    client, runtime = service
    hid = await exited_in_2016(client, runtime)
    await asyncio.sleep(0.02)
    before = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.02)
    await post(client, hid, "exit-annulment", {"reason": ""}, 422)
    await post(client, hid, "exit-annulment", {"reason": "验收时错把邻户的收入记入本户"})
    assert (await state(client, hid, as_of="2016-12-31"))["status"] == "assisting"
    audit = await state(client, hid, as_of="2016-12-31", known_at=before)
    assert audit["status"] == "exited"
    types = [
        e["type"] for e in (await client.get(f"/v1/households/{hid}/history")).json()["events"]
    ]
    assert types[-2:] == ["registry.household.exited.v1", "registry.household.exit_annulled.v1"]


async def test_a_village_as_of_a_past_date_and_its_history(service) -> None:
    client, _ = service
    village = "621121100201"
    registered = new_village(
        village, name="张家村", rural_population=500, effective_date="2014-01-01"
    )
    answer = await client.post("/v1/villages", json=registered)
    assert answer.status_code == 201, answer.text
    profile = {
        "poor": False,
        "rural_population": 480,
        "cooperatives": 2,
        "mutual_aid_fund": 0,
        "effective_date": "2019-12-31",
    }
    answer = await client.post(f"/v1/villages/{village}/profile", json=profile)
    assert answer.status_code == 200, answer.text
    then = (await client.get(f"/v1/villages/{village}", params={"as_of": "2018-12-31"})).json()
    now = (await client.get(f"/v1/villages/{village}")).json()
    assert (then["poor"], then["rural_population"]) == (True, 500)
    assert (now["poor"], now["rural_population"]) == (False, 480)
    history = await client.get(f"/v1/villages/{village}/history", params={"as_of": "2018-12-31"})
    assert [e["effectivedate"] for e in history.json()["events"]] == ["2014-01-01"]


async def test_a_wrong_id_number_is_corrected_with_the_birth_date_it_carries(service) -> None:
    """The child was entered as born 2008 (a digit wrong in the ID number); the 户口簿 says
    2009. Ages, and what evaluation judges on them, follow the correction from now on; the
    audit view as known before still shows what the books said."""
    client, _ = service
    head_number = resident_id()
    family = filing()
    family["members"][0]["id_number"] = head_number
    filed = (await client.post("/v1/households", json=family)).json()
    hid = filed["household_id"]
    child = next(m for m in filed["members"] if m["relation"] == "child")
    assert child["birth_year"] == 2008
    await asyncio.sleep(0.02)
    before = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.02)
    url = f"members/{child['person_id']}/identity-correction"
    right = resident_id(date(2009, 9, 1))
    body = {
        "id_number": right,
        "effective_date": "2017-03-01",
        "reason": "户口簿核对: 出生年份录错",
    }
    for wrong, status in [
        ({**body, "reason": ""}, 422),  # a correction cites its evidence
        (
            {**body, "id_number": right[:-1] + ("0" if right[-1] != "0" else "1")},
            422,
        ),  # check digit
        ({**body, "id_number": head_number}, 409),  # someone else's number
    ]:
        await post(client, hid, url, wrong, status)
    corrected = await post(client, hid, url, body)
    child_now = next(m for m in corrected["members"] if m["person_id"] == child["person_id"])
    assert child_now["birth_year"] == 2009 and corrected["version"] == 2
    audit = await state(client, hid, known_at=before)
    assert next(m for m in audit["members"] if m["relation"] == "child")["birth_year"] == 2008
    clear = await client.get(f"/v1/people/{child['person_id']}/identity")
    assert clear.json()["id_number"] == right
    history = (await client.get(f"/v1/households/{hid}/history")).json()["events"]
    assert history[-1]["type"] == "registry.household.identity_corrected.v1"
    assert right not in str(history)  # a hash, birth year and month, sealed details: no number
