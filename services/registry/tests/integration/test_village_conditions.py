"""A village's conditions as the county assessed them (村由县负责验收 — Gansu 2016
opinions, 六 15 健全精准评估机制), each a dated fact with its source: the infrastructure and
services of 四 7 完善基础设施 (村道硬化, 饮水安全, 危房改造, 农电保障, 信息网络) and 四 9
(教育, 卫生: 标准化卫生室 and 村医, 文化), the cooperative of 四 8 (5), and collective income."""

import pytest

from tuopin_contracts.examples import conditions_met
from tuopin_eventkit.testing import client_for
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import new_village

VILLAGE = "621121100201"
ALL_MET = conditions_met(3_000_000, 12)


@pytest.fixture
async def client(settings):
    async with client_for(app(settings)) as client:
        registered = new_village(
            VILLAGE, name="张家村", rural_population=500, effective_date="2014-01-01"
        )
        answer = await client.post("/v1/villages", json=registered)
        assert answer.status_code == 201, answer.text
        yield client


async def record(client, body: dict, expect: int = 200) -> dict:
    answer = await client.post(f"/v1/villages/{VILLAGE}/conditions", json=body)
    assert answer.status_code == expect, answer.text
    return answer.json()


async def village(client, **params: str) -> dict:
    answer = await client.get(f"/v1/villages/{VILLAGE}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_conditions_are_dated_facts_with_their_source(client) -> None:
    """Assessed in 2017 (the 2017 goals of 四 7 and 9), broadband found lacking again in
    2018, and a back-dated 2016 road record entered last changes 2016, not today."""
    await record(client, {**ALL_MET, "effective_date": "2017-12-31", "source": "县扶贫办 验收表 1"})
    await record(
        client,
        {
            "broadband": False,
            "effective_date": "2018-06-30",
            "source": "县工信局 核查",
            "reason": "基站拆除",
        },
    )
    await record(
        client,
        {"road_access": False, "effective_date": "2016-06-30", "source": "县交通局 2016 台账"},
    )

    now = (await village(client))["conditions"]
    assert now["broadband"] == {
        "value": False,
        "effective_date": "2018-06-30",
        "source": "县工信局 核查",
    }
    assert now["road_access"]["value"] is True  # the 2016 record is older than 2017's
    assert now["collective_income"]["value"] == 3_000_000
    assert len(now) == len(ALL_MET)

    in_2017 = (await village(client, as_of="2017-12-31"))["conditions"]
    assert in_2017["broadband"]["value"] is True
    in_2016 = (await village(client, as_of="2016-12-31"))["conditions"]
    assert in_2016 == {
        "road_access": {
            "value": False,
            "effective_date": "2016-06-30",
            "source": "县交通局 2016 台账",
        }
    }

    history = (await client.get(f"/v1/villages/{VILLAGE}/history")).json()["events"]
    recorded = [e for e in history if e["type"] == "registry.village.conditions_recorded.v1"]
    assert [e["effectivedate"] for e in recorded] == ["2017-12-31", "2018-06-30", "2016-06-30"]
    assert recorded[1]["data"]["reason"] == "基站拆除"


@pytest.mark.parametrize(
    "body",
    [
        {},  # nothing assessed
        {"road_access": "maybe"},
        {"collective_income": -1},
        {"dangerous_houses": 3},  # coverage needs both counts
        {"dangerous_houses": 3, "dangerous_houses_renovated": 4},
        {"broadband": True, "source": ""},
    ],
)
async def test_a_bad_record_is_refused(client, body: dict) -> None:
    await record(client, {"effective_date": "2017-12-31", "source": "县扶贫办", **body}, 422)
    assert (await village(client))["conditions"] == {}
