"""The seed's 2017 targets over HTTP (三、4 明确阶段目标): "前三年集中攻坚,每年稳定减少贫困人口
100万人以上,到2017年底贫困地区农村居民人均可支配收入达到7000元以上,其中扶贫对象人均可支配收入
达到4000元以上" — each target with its quote, its figure, whether on track, per region and
as of a day."""

from datetime import date, timedelta
from itertools import count
from typing import Any
from uuid import UUID

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events.registry import HouseholdRemovedV1
from tuopin_contracts.examples import household_registered, wage_income
from tuopin_evaluation.application import rollups
from tuopin_evaluation.application.village_figures import village_figures
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish


def income_2017(household: Envelope, per_head_yuan: int, members: int) -> Envelope:
    data = wage_income(UUID(household.subject), 2017, per_head_yuan * 100, members)
    return envelope(data, household.subject, 2)


async def test_the_2017_targets_weighted_by_people_per_region_and_as_of(
    database_url, kafka_settings
) -> None:
    """扶贫对象人均可支配收入 is the beneficiaries' income over their people: a household of
    four at 3,000 yuan and one of one at 5,000 make 3,400 yuan a head, short of 4,000 —
    not the 4,000 a mean of the two households' figures would claim."""
    big, small = household_registered(size=4), household_registered(size=1)
    far = household_registered("620121", size=2)
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        big,
        small,
        far,
        income_2017(big, 3_000, 4),
        income_2017(small, 5_000, 1),
        income_2017(far, 10_000, 2),
    )
    service = app(EvaluationSettings(database_url=database_url, kafka=kafka_settings))
    async with client_for(service) as client:

        async def targets(**params: str) -> dict[str, dict]:
            answer = (await client.get("/v1/targets", params=params)).json()
            found = {t["name"]: t for t in answer["targets"]}
            if "as_of" not in params:  # before the filing, nobody is a beneficiary yet
                assert found["beneficiary_income_2017"].get("people") == (
                    5 if params.get("region") == "621121" else 7
                )
            return answer | {"by_name": found}

        county = await eventually(lambda: targets(region="621121"))
        income = county["by_name"]["beneficiary_income_2017"]
        assert (income["value"], income["met"]) == ("3400.00", False)
        assert "扶贫对象人均可支配收入达到4000元以上" in income["quote"]
        # The province: (4 × 3,000 + 5,000 + 2 × 10,000) / 7 people.
        province = (await targets())["by_name"]
        assert (
            province["beneficiary_income_2017"]["value"],
            province["beneficiary_income_2017"]["met"],
        ) == ("5285.71", True)

        # 7,000 yuan for all rural residents of the poor areas: stated, not measured here.
        rural = province["rural_income_poor_areas_2017"]
        assert (rural["value"], rural["met"]) == (None, None)
        assert "7000元以上" in rural["quote"] and "survey" in rural["note"]

        # ≥ 1 million fewer poor people a year: the years ended by as_of, from the roll-ups
        # as of consecutive year ends (filed April 2016: 7 more poor people in 2016).
        dated = await targets(as_of="2016-12-31")
        assert dated["as_of"] == "2016-12-31"
        reduction = dated["by_name"]["poor_people_reduction"]
        assert (reduction["value"], reduction["met"]) == ({"2015": 0, "2016": -7}, False)
        assert "每年稳定减少贫困人口100万人以上" in reduction["quote"]
        early = (await targets(as_of="2015-06-30"))["by_name"]
        reduced = early["poor_people_reduction"]
        assert (reduced["value"], reduced["met"]) == ({}, None)
        assert early["beneficiary_income_2017"]["value"] is None
        # Before any exit rule set was in force, no county's delisting is judged.
        assert early["counties_delisted_2020"]["met"] is None
        # A county is not held to the province's yearly reduction.
        assert county["by_name"]["poor_people_reduction"]["met"] is None
        assert all(t["quote"] and t["source"] for t in county["targets"])


def removed(household: Envelope, on: date) -> Envelope:
    data = HouseholdRemovedV1(
        household_id=UUID(household.subject), effective_date=on, status="removed", reason="识别不准"
    )
    return envelope(data, household.subject, 3)


async def test_the_2017_income_counts_the_register_as_it_stood_then(
    database_url, kafka_settings
) -> None:
    """扶贫对象 of 2017 are the households on the register at the end of 2017: one removed
    (清退) in 2018 still counts in 2017's figure, one removed in 2017 does not — whatever
    the register says today."""
    kept, later, gone = (household_registered("620421", size=1) for _ in range(3))
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        kept,
        later,
        gone,
        income_2017(kept, 3_000, 1),
        income_2017(later, 5_000, 1),
        income_2017(gone, 9_000, 1),
        removed(later, date(2018, 3, 1)),
        removed(gone, date(2017, 6, 1)),
    )
    service = app(EvaluationSettings(database_url=database_url, kafka=kafka_settings))
    async with client_for(service) as client:

        async def income(**params: str) -> dict:
            answer = await client.get("/v1/targets", params={"region": "620421", **params})
            found = {t["name"]: t for t in answer.json()["targets"]}["beneficiary_income_2017"]
            assert found.get("people") == 2, found
            return found

        # (3,000 + 5,000) / 2 people: the household removed in 2017 is not a beneficiary.
        assert (await eventually(income))["value"] == "4000.00"
        # As of mid-2017 the household removed in June is gone already, the other not yet.
        assert (await income(as_of="2017-07-01"))["value"] == "4000.00"
        before = (
            await client.get("/v1/targets", params={"region": "620421", "as_of": "2016-01-01"})
        ).json()
        early = {t["name"]: t for t in before["targets"]}["beneficiary_income_2017"]
        assert early["value"] is None  # nobody was filed yet on that day


async def test_the_targets_count_each_day_once_and_every_county_in_one_roll_up(
    database_url, kafka_settings, monkeypatch
) -> None:
    """Each target year's end is the next one's start, and the counties' delisting reads
    one roll-up of the region by county: the province's targets count no day twice, and
    no more days than one county's — not one more roll-up for each of its counties. Asked
    again while the read model stands still, they are not counted again (the leadership's
    dashboard opens on the province's), nor are the year ends its trend has asked."""
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    await publish(
        kafka_settings,
        Topic.REGISTRY,
        household_registered("621121", size=2),
        household_registered("620121", size=3),
    )
    counted: list[tuple[str, date | None]] = []

    async def counting(conn: Any, region: str, as_of: Any = None, known_at: Any = None) -> Any:
        counted.append((region, as_of))
        return await village_figures(conn, region, as_of, known_at)

    monkeypatch.setattr(rollups, "village_figures", counting)
    service = app(EvaluationSettings(database_url=database_url, kafka=kafka_settings))
    async with client_for(service) as client:

        async def targets(region: str) -> tuple[dict[str, dict], list[tuple[str, date | None]]]:
            counted.clear()
            answer = await client.get("/v1/targets", params={"region": region})
            assert answer.status_code == 200
            return {t["name"]: t for t in answer.json()["targets"]}, list(counted)

        async def both_counties_known() -> tuple[dict[str, dict], list]:
            found = await targets("620000")
            assert found[0]["counties_delisted_2020"]["value"]["counties"] == 2
            return found

        _, province = await eventually(both_counties_known)
        _, county = await targets("621121")
        assert len(set(province)) == len(province) and len(set(county)) == len(county)
        assert len(province) == len(county)

        async def kept_while_nothing_moves() -> None:  # once every consumer is idle
            first, _ = await targets("620000")
            again, counted_again = await targets("620000")
            assert counted_again == [] and again == first

        await eventually(kept_while_nothing_moves)

        # The dashboard's trend of the county asks its year ends too: counted once for both.
        days = (date(2017, 7, 1) + timedelta(days=n) for n in count())

        async def shared_with_the_trends() -> None:
            trend = {"region": "621121", "level": "county", "as_of": "2016-12-31"}
            assert (await client.get("/v1/rollups", params=trend)).status_code == 200
            counted.clear()
            asked = {"region": "621121", "as_of": str(next(days))}  # a question not yet kept
            assert (await client.get("/v1/targets", params=asked)).status_code == 200
            assert counted and ("621121", date(2016, 12, 31)) not in counted

        await eventually(shared_with_the_trends)
