"""A resident ID or mobile number typed into free text is refused before anything is
written: 422, an RFC 9457 problem naming the field, the number not repeated."""

import pytest

from tuopin_registry.examples import filing, member, new_village

VILLAGE = "621121100201"
PHONE, ID = "138-0013-8000", "620102198503020039"


async def test_free_text_holding_a_personal_number_is_refused(client) -> None:
    filed = await client.post("/v1/households", json=filing(village=VILLAGE))
    assert filed.status_code == 201, filed.text
    hid = filed.json()["household_id"]
    spouse = next(m["person_id"] for m in filed.json()["members"] if m["relation"] == "spouse")
    village = new_village(VILLAGE)
    assert (await client.post("/v1/villages", json=village)).status_code == 201
    day = {"effective_date": "2016-05-01"}
    head = (await client.get("/v1/events")).json()["head"]

    refused = [
        (
            "/v1/households",
            filing("621121-0009", village=VILLAGE, reason=f"电话 {PHONE}"),
            ["body", "reason"],
        ),
        (
            "/v1/households",
            filing("621121-0010", village=VILLAGE, members=[member(name=f"王{ID}")]),
            ["body", "members", 0, "name"],
        ),
        (
            f"/v1/households/{hid}/assistance",
            day | {"reason": f"户主手机{PHONE}"},
            ["body", "reason"],
        ),
        (
            f"/v1/households/{hid}/responsibility",
            day | {"cadre_name": "张三", "cadre_unit": f"县扶贫办 {PHONE}"},
            ["body", "cadre_unit"],
        ),
        (
            f"/v1/households/{hid}/needs",
            day | {"kind": "health", "description": f"为 {ID} 办理医保"},
            ["body", "description"],
        ),
        (
            f"/v1/households/{hid}/members/{spouse}/changes",
            day | {"schooling": "not_in_school", "reason": f"身份证 {ID[:6]} {ID[6:14]} {ID[14:]}"},
            ["body", "reason"],
        ),
        (
            f"/v1/villages/{VILLAGE}/responsibility",
            day
            | {
                "first_secretary": "李四",
                "work_team": ["王五", f"赵六 {PHONE}"],
                "responsible_unit": "省财政厅",
            },
            ["body", "work_team", 1],
        ),
        (
            f"/v1/people/{spouse}/erasure",
            day | {"reason": f"申请人电话 {PHONE}"},
            ["body", "reason"],
        ),
    ]
    for url, body, loc in refused:
        answer = await client.post(url, json=body)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        [error] = answer.json()["errors"]
        assert (error["loc"], error["type"]) == (loc, "personal_number"), answer.text
        assert PHONE not in answer.text and ID not in answer.text and ID[:6] not in answer.text
    assert (await client.get("/v1/events")).json()["head"] == head  # nothing written

    # Ordinary text, dates and amounts pass.
    fine = day | {"cadre_name": "张三", "cadre_unit": "县扶贫办 (0931-8888888), 2016-04-01 起"}
    assert (await client.post(f"/v1/households/{hid}/responsibility", json=fine)).status_code == 200


def test_an_imported_name_holding_a_personal_number_is_a_row_error() -> None:
    from tuopin_registry.application.bulk import cells

    with pytest.raises(cells.Bad, match="must not hold a mobile phone number") as refused:
        cells.PARSE["name"](f"王五{PHONE}")
    assert PHONE not in str(refused.value)
    assert cells.PARSE["name"]("欧阳春") == "欧阳春"
