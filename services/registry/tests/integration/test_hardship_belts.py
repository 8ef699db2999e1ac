"""Seed 一.1 (225个特困片带): villages are assigned to special-hardship belts by code, checked
against the belts the service was started with; an unknown belt, or one that does not
hold the village, is refused (422, nothing written)."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from tuopin_eventkit.testing import client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app

BELTS = Path(__file__).parents[1] / "data" / "hardship_belts.json"  # invented test belts


@pytest.fixture
async def client(make_settings):
    async with client_for(app(make_settings(hardship_belts_file=BELTS))) as client:
        yield client


def village(code: str, belt: str | None) -> dict:
    return {
        "village_code": code,
        "name": code[-3:] + "村",
        "poor": True,
        "rural_population": 400,
        "hardship_belt_code": belt,
        "effective_date": "2016-01-01",
    }


async def test_seed_1_1_belts_are_reference_data_with_their_source(client) -> None:
    listed = (await client.get("/v1/hardship-belts")).json()
    assert (listed["version"], listed["expected"], listed["loaded"]) == ("test-1", 225, 2)
    assert listed["complete"] is False
    assert [b["code"] for b in listed["items"]] == ["T-DX", "T-HJL"]
    hjl = (await client.get("/v1/hardship-belts/T-HJL")).json()
    assert hjl["counties"] == ["621121", "621122"] and hjl["townships"] == ["621121100"]
    assert hjl["source"] == "test fixture"
    assert (await client.get("/v1/hardship-belts/NOPE")).status_code == 404


async def test_seed_1_1_village_is_assigned_to_a_belt_by_code(client) -> None:
    for code, belt in [
        ("621121100201", "T-HJL"),
        ("621122300101", "T-HJL"),
        ("621121100202", "T-DX"),
        ("621121200101", None),
    ]:
        answer = await client.post("/v1/villages", json=village(code, belt))
        assert answer.status_code == 201, answer.text
    shown = (await client.get("/v1/villages/621121100201")).json()
    assert shown["hardship_belt_code"] == "T-HJL"
    assert shown["hardship_belt"] == "华家岭特困片带(测试)"  # the name, from the reference
    in_belt = (await client.get("/v1/villages", params={"belt": "T-HJL"})).json()["items"]
    assert [v["village_code"] for v in in_belt] == ["621121100201", "621122300101"]
    in_tongwei = await client.get("/v1/villages", params={"belt": "T-HJL", "region": "621121"})
    assert [v["village_code"] for v in in_tongwei.json()["items"]] == ["621121100201"]


@pytest.mark.parametrize(
    ("code", "belt", "says"),
    [
        ("621121100201", "T-NONE", "no special-hardship belt (特困片带) T-NONE"),
        ("621121200101", "T-HJL", "outside belt T-HJL"),  # 通渭's other township
        ("621102100101", "T-HJL", "outside belt T-HJL"),  # 安定区: not in the belt
    ],
)
async def test_seed_1_1_unknown_or_foreign_belt_is_refused(client, code, belt, says) -> None:
    answer = await client.post("/v1/villages", json=village(code, belt))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert says in answer.json()["detail"]
    assert (await client.get(f"/v1/villages/{code}")).status_code == 404  # nothing written


async def test_free_text_belt_is_no_longer_taken(client) -> None:
    answer = await client.post(
        "/v1/villages", json={**village("621121100201", None), "hardship_belt": "随便写的片带"}
    )
    assert answer.status_code == 422, answer.text


async def test_seed_1_1_shipped_list_is_empty_until_the_provincial_file_is_loaded(
    settings,
) -> None:
    async with client_for(app(settings)) as client:
        listed = (await client.get("/v1/hardship-belts")).json()
        assert (listed["loaded"], listed["complete"]) == (0, False)
        refused = await client.post("/v1/villages", json=village("621121100201", "T-HJL"))
        assert refused.status_code == 422


def test_a_bad_provincial_file_refuses_the_start(tmp_path: Path) -> None:
    bad = tmp_path / "belts.json"
    bad.write_text(
        json.dumps(
            {
                "format": "tuopin.hardship-belts/1",
                "version": "1",
                "source": "s",
                "belts": [{"code": "X", "name": "x", "counties": ["620201"], "source": "s"}],
            }
        )
    )
    with pytest.raises(ValidationError, match="'620201' is no Gansu county code"):
        RegistrySettings(hardship_belts_file=bad)
