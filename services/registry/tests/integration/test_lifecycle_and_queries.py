"""The register as offices and leaders use it: changes, lifecycle, lists, notices, counts,
reports, state as of a past instant, villages."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tuopin_registry.config import RegistrySettings
from tuopin_registry.examples import filing, member, new_village, resident_id

VILLAGE = "621121100201"
BELTS = Path(__file__).parents[1] / "data" / "hardship_belts.json"  # invented test belts


@pytest.fixture
def settings(make_settings) -> RegistrySettings:
    return make_settings(hardship_belts_file=BELTS)


async def file(client, number: str = "621121-0001", **more) -> dict:
    answer = await client.post("/v1/households", json=filing(number, **more))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def post(
    client, household: dict, path: str, body: dict, expect: int = 200, **headers
) -> dict:
    answer = await client.post(
        f"/v1/households/{household['household_id']}/{path}", json=body, headers=headers
    )
    assert answer.status_code == expect, answer.text
    return answer.json()


async def test_the_exit_path_and_its_illegal_steps(client) -> None:
    h = await file(client)
    refused = await post(client, h, "exit-proposal", {"appraisal_date": "2017-10-01"}, 409)
    assert refused["current_state"] == "identified"
    assert "cannot propose exit: the household is identified" in refused["detail"]

    await post(client, h, "assistance", {"effective_date": "2016-05-01"})
    await post(
        client, h, "exit-proposal", {"appraisal_date": "2017-10-01", "reason": "民主评议通过"}
    )
    short = await post(
        client, h, "exit-notice", {"notice_from": "2017-10-02", "notice_until": "2017-10-05"}, 422
    )
    assert "at least 7 days" in short["detail"]
    on_notice = await post(
        client, h, "exit-notice", {"notice_from": "2017-10-02", "notice_until": "2017-10-08"}
    )
    assert on_notice["status"] == "exit_publicised"
    # Offices cannot declare the exit themselves: only evaluation's verdict does.
    assert (
        await client.post(f"/v1/households/{h['household_id']}/exited", json={})
    ).status_code in (404, 405)
    back = await post(
        client, h, "return-to-poverty", {"cause": "disaster", "effective_date": "2018-07-01"}, 409
    )
    assert back["current_state"] == "exit_publicised"


async def test_a_stale_if_match_is_a_conflict(client) -> None:
    h = await file(client)
    await post(
        client, h, "assistance", {"effective_date": "2016-05-01"}, 200, **{"If-Match": '"1"'}
    )
    stale = await post(
        client,
        h,
        "responsibility",
        {"effective_date": "2016-05-02", "cadre_name": "张伟", "cadre_unit": "县财政局"},
        409,
        **{"If-Match": '"1"'},
    )
    assert stale["type"].endswith("/concurrency-conflict")


async def test_members_income_needs_and_measures(client) -> None:
    h = await file(client)
    added = await post(
        client,
        h,
        "members",
        {
            "effective_date": "2017-02-01",
            "reason": "出生",
            "member": member("grandchild", name="王小宝", id_number=resident_id()),
        },
    )
    assert len(added["members"]) == 4
    child = next(m for m in added["members"] if m["name"] == "王小明")
    changed = await post(
        client,
        h,
        f"members/{child['person_id']}/changes",
        {"effective_date": "2017-09-01", "schooling": "junior_secondary"},
    )
    assert (
        next(m for m in changed["members"] if m["name"] == "王小明")["schooling"]
        == "junior_secondary"
    )
    income = await post(
        client,
        h,
        "incomes",
        {
            "effective_date": "2017-12-31",
            "year": 2017,
            "wages": 1_200_000,
            "production_and_business": 400_000,
            "property": 0,
            "transfers": 201_003,
        },
    )
    assert income["incomes"][0]["per_head"] == (1_200_000 + 400_000 + 201_003) // 4
    need = await post(
        client,
        h,
        "needs",
        {"effective_date": "2017-03-01", "kind": "industry", "description": "养殖肉牛缺资金"},
    )
    need_id = need["needs"][0]["need_id"]
    planned = await post(
        client,
        h,
        "measures",
        {
            "effective_date": "2017-03-05",
            "kind": "microcredit",
            "plan": "精准扶贫专项贷款5万元",
            "funds": 5_000_000,
            "due_date": "2017-06-30",
            "need_id": need_id,
        },
    )
    measure_id = planned["measures"][0]["measure_id"]
    done = await post(
        client,
        h,
        f"measures/{measure_id}/progress",
        {
            "effective_date": "2017-06-01",
            "progress_percent": 100,
            "spent": 5_000_000,
            "completed": True,
        },
    )
    assert done["measures"][0]["completed"] is True
    removed = await post(
        client,
        h,
        f"members/{child['person_id']}/removal",
        {"effective_date": "2018-01-01", "reason": "外出求学分户"},
    )
    assert len(removed["members"]) == 3 and removed["version"] == 8


async def test_lists_filter_by_region_status_cause_attribute_and_cadre(client) -> None:
    a = await file(client, "621121-0001")
    await file(
        client,
        "621121-0002",
        primary_cause="disability",
        secondary_causes=[],
        poverty_attribute="subsistence_allowance",
        members=[member(id_number=resident_id())],
    )
    await file(
        client, "620102-0001", village="620102001001", members=[member(id_number=resident_id())]
    )
    await post(client, a, "assistance", {"effective_date": "2016-05-01"})
    await post(
        client,
        a,
        "responsibility",
        {"effective_date": "2016-05-02", "cadre_name": "张伟", "cadre_unit": "县财政局"},
    )

    async def files(**params) -> list[str]:
        page = (await client.get("/v1/households", params=params)).json()
        assert page["total"] == len(page["items"])
        return [item["file_number"] for item in page["items"]]

    assert await files() == ["620102-0001", "621121-0001", "621121-0002"]
    assert await files(region="620000") == ["620102-0001", "621121-0001", "621121-0002"]
    assert await files(region="621100") == ["621121-0001", "621121-0002"]  # 定西市
    assert await files(region="621121100") == ["621121-0001", "621121-0002"]  # township
    assert await files(region=VILLAGE, status="assisting") == ["621121-0001"]
    assert await files(cause="lack_of_funds") == ["620102-0001", "621121-0001"]  # any cause
    assert await files(attribute="subsistence_allowance") == ["621121-0002"]
    assert await files(cadre="张伟") == ["621121-0001"]
    second = (await client.get("/v1/households", params={"limit": 2, "offset": 2})).json()
    assert second["total"] == 3 and [i["file_number"] for i in second["items"]] == ["621121-0002"]
    bad = await client.get("/v1/households", params={"region": "11"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_state_as_known_at_a_past_instant(client) -> None:
    h = await file(client)
    await asyncio.sleep(0.02)
    cut = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.02)
    await post(client, h, "assistance", {"effective_date": "2016-05-01", "reason": "开始帮扶"})
    then = (
        await client.get(f"/v1/households/{h['household_id']}", params={"known_at": cut})
    ).json()
    now = (await client.get(f"/v1/households/{h['household_id']}")).json()
    assert (then["status"], then["version"]) == ("identified", 1)
    assert (now["status"], now["version"]) == ("assisting", 2)
    history = (await client.get(f"/v1/households/{h['household_id']}/history")).json()
    assert [e["data"].get("reason") for e in history["events"]] == [None, "开始帮扶"]
    before = await client.get(
        f"/v1/households/{h['household_id']}", params={"known_at": "2000-01-01T00:00:00Z"}
    )
    assert before.status_code == 404


async def test_public_notice_masks_names_partly_and_id_numbers_always(client) -> None:
    head = member(name="王建国", id_number=resident_id())
    h = await file(client, members=[head])
    await file(client, "621121-0002", members=[member(name="欧阳春", id_number=resident_id())])
    await post(client, h, "assistance", {"effective_date": "2016-05-01"})
    await post(client, h, "exit-proposal", {"appraisal_date": "2017-10-01"})
    await post(
        client, h, "exit-notice", {"notice_from": "2017-10-02", "notice_until": "2017-10-08"}
    )

    answer = await client.get(f"/v1/villages/{VILLAGE}/public-notice")
    notice = answer.json()
    assert [e["head_name"] for e in notice["exit_publicised"]] == ["王*国"]
    assert [e["head_name"] for e in notice["identified"]] == ["欧*春"]
    assert notice["exit_publicised"][0]["notice_until"] == "2017-10-08"
    assert head["id_number"] not in answer.text and "王建国" not in answer.text
    assert notice["exit_publicised"][0]["head_id_number"] == "*" * 18  # not a digit


async def test_summary_counts_by_region(client) -> None:
    await file(client, "621121-0001")
    await file(client, "621121-0002", members=[member(id_number=resident_id())])
    await file(
        client, "620102-0001", village="620102001001", members=[member(id_number=resident_id())]
    )
    counties = (await client.get("/v1/summary", params={"level": "county"})).json()["regions"]
    assert [(c["region"], c["households"], c["people"]) for c in counties] == [
        ("620102", 1, 1),
        ("621121", 2, 4),
    ]
    villages = (
        await client.get("/v1/summary", params={"region": "621121", "level": "village"})
    ).json()
    assert villages["regions"][0]["by_status"] == {"identified": {"households": 2, "people": 4}}


async def test_villages_and_the_report_of_those_nobody_answers_for(client) -> None:
    registered = await client.post(
        "/v1/villages",
        json=new_village(VILLAGE),
    )
    assert registered.status_code == 201, registered.text
    unknown = await client.post(
        "/v1/villages",
        json={
            "village_code": "629999100201",
            "name": "无",
            "poor": True,
            "rural_population": 1,
            "effective_date": "2016-01-01",
        },
    )
    assert unknown.status_code == 422 and "no known Gansu county" in unknown.json()["detail"]
    h = await file(client)

    report = (
        await client.get("/v1/reports/without-responsible", params={"region": "621121"})
    ).json()
    assert [v["village_code"] for v in report["villages"]] == [VILLAGE]
    assert [x["household_id"] for x in report["households"]] == [h["household_id"]]

    await client.post(
        f"/v1/villages/{VILLAGE}/responsibility",
        json={
            "effective_date": "2016-02-01",
            "first_secretary": "赵敏",
            "work_team": ["赵敏", "孙强"],
            "responsible_unit": "省交通厅",
        },
    )
    await post(
        client,
        h,
        "responsibility",
        {"effective_date": "2016-05-02", "cadre_name": "张伟", "cadre_unit": "县财政局"},
    )
    report = (
        await client.get("/v1/reports/without-responsible", params={"region": "621121"})
    ).json()
    assert report == {"households": [], "villages": []}
    village = (await client.get(f"/v1/villages/{VILLAGE}")).json()
    assert (village["first_secretary"], village["rural_population"]) == ("赵敏", 812)


async def test_reference_regions(client) -> None:
    dingxi = (await client.get("/v1/regions/621100")).json()
    assert dingxi["name"] == "定西市"
    tongwei = next(c for c in dingxi["children"] if c["code"] == "621121")
    assert (tongwei["name"], tongwei["poverty_area"]) == ("通渭县", "六盘山区")
    assert (await client.get("/v1/regions/629999")).status_code == 404


async def test_village_needs_measures_and_hardship_belts(client) -> None:
    for code, belt in [
        (VILLAGE, "T-HJL"),
        ("621121100202", "T-HJL"),
        ("621121200101", None),
    ]:
        answer = await client.post(
            "/v1/villages",
            json={
                "village_code": code,
                "name": code[-3:] + "村",
                "poor": belt is not None,
                "rural_population": 500,
                "hardship_belt_code": belt,
                "effective_date": "2016-01-01",
            },
        )
        assert answer.status_code == 201, answer.text
    belt = (await client.get("/v1/villages", params={"belt": "T-HJL"})).json()["items"]
    assert [v["village_code"] for v in belt] == [VILLAGE, "621121100202"]
    not_poor = (await client.get("/v1/villages", params={"region": "621121", "poor": False})).json()
    assert [v["village_code"] for v in not_poor["items"]] == ["621121200101"]

    need = (
        await client.post(
            f"/v1/villages/{VILLAGE}/needs",
            json={
                "effective_date": "2016-03-01",
                "kind": "infrastructure",
                "description": "村道硬化3公里",
            },
        )
    ).json()
    planned = (
        await client.post(
            f"/v1/villages/{VILLAGE}/measures",
            json={
                "effective_date": "2016-03-05",
                "kind": "infrastructure",
                "plan": "硬化村道",
                "funds": 90_000_000,
                "due_date": "2016-10-31",
                "need_id": need["needs"][0]["need_id"],
            },
        )
    ).json()
    measure = planned["measures"][0]["measure_id"]
    backwards = await client.post(
        f"/v1/villages/{VILLAGE}/measures/{measure}/progress",
        json={
            "effective_date": "2016-06-01",
            "progress_percent": 100,
            "spent": 1,
            "completed": False,
        },
        headers={"If-Match": f'"{planned["version"]}"'},
    )
    assert backwards.status_code == 422 and "exactly when" in backwards.json()["detail"]
    done = await client.post(
        f"/v1/villages/{VILLAGE}/measures/{measure}/progress",
        json={
            "effective_date": "2016-10-20",
            "progress_percent": 100,
            "spent": 88_000_000,
            "completed": True,
        },
    )
    assert done.status_code == 200, done.text
    village = (await client.get(f"/v1/villages/{VILLAGE}")).json()
    assert village["hardship_belt_code"] == "T-HJL"
    assert village["hardship_belt"] == "华家岭特困片带(测试)"
    assert village["measures"][0] | {"measure_id": None} == {
        "measure_id": None,
        "kind": "infrastructure",
        "funds": 90_000_000,
        "progress_percent": 100,
        "spent": 88_000_000,
        "completed": True,
    }
