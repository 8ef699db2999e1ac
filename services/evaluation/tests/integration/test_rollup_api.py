"""Roll-ups through the real broker: the registry's village and household events arrive on
its topic, the evaluation service counts them, and its HTTP API answers by level, as of a
date and under another rule set — checked against a count made here from the scenario.

The scenario (rural population in brackets):

    county 621121
      township 621121100
        village …100201 poor [100]  h1 3 people: exited 2017-10-08
                                    h2 3 people, one leaves 2018-01-15
        village …100202 poor [250, 200 from 2017-06-01]
                                    h3 4 people: exited 2016-12-20, returned 2018-03-01
                                    h4 2 people: removed 2017-06-01
                                    h5 registered 2017-01-10 with 1, a 2nd joins 2017-02-01
      township 621121101
        village …101201 not poor [300], no households
    county 621122
        village …100201 not registered; h6 3 people
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from uuid import UUID, uuid4

import pytest

from tuopin_contracts import Envelope, EventData, Topic
from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import conditions_met, filed_v2, wage_income
from tuopin_contracts.vocabulary import HouseholdStatus, PovertyCause, Relation
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish

V1, V2, V3 = "621121100201", "621121100202", "621121101201"
V4 = "621122100201"
LEVELS = ("village", "township", "county", "city", "province")
POOR = {"identified", "assisting", "exit_proposed", "exit_publicised", "returned"}


@dataclass
class Home:
    """A household of the scenario: its events, and what the test expects of it."""

    village: str
    people: int
    registered_on: date = date(2016, 4, 1)
    id: UUID = field(default_factory=uuid4)
    events: list[Envelope] = field(default_factory=list)
    statuses: list[tuple[date, str]] = field(default_factory=list)
    sizes: list[tuple[date, int]] = field(default_factory=list)
    person_ids: list[UUID] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.person_ids = [uuid4() for _ in range(self.people)]
        members = [
            reg.Member(
                person_id=p,
                name="户主" if i == 0 else f"成员{i}",
                relation=Relation.HEAD if i == 0 else Relation.CHILD,
            )
            for i, p in enumerate(self.person_ids)
        ]
        self._add(filed_v2(self.id, self.village, members, on=self.registered_on))
        self.statuses.append((self.registered_on, "identified"))
        self.sizes.append((self.registered_on, self.people))

    def _add(self, data: EventData) -> None:
        self.events.append(envelope(data, self.id, len(self.events) + 1))

    def step(self, kind: type[reg.StatusChanged], on: date, **extra: object) -> "Home":
        status = {
            reg.AssistanceStartedV1: HouseholdStatus.ASSISTING,
            reg.ExitProposedV1: HouseholdStatus.EXIT_PROPOSED,
            reg.ExitPublicisedV1: HouseholdStatus.EXIT_PUBLICISED,
            reg.HouseholdExitedV1: HouseholdStatus.EXITED,
            reg.ReturnedToPovertyV1: HouseholdStatus.RETURNED,
            reg.HouseholdRemovedV1: HouseholdStatus.REMOVED,
        }[kind]
        self._add(kind(household_id=self.id, effective_date=on, status=status, **extra))
        self.statuses.append((on, str(status)))
        return self

    def exit(self, on: date) -> "Home":
        start = date(on.year, 5, 1) if on.month > 5 else date(on.year - 1, 5, 1)
        self.step(reg.AssistanceStartedV1, start)
        self.step(reg.ExitProposedV1, on.replace(day=1), appraisal_date=on.replace(day=1))
        self.step(
            reg.ExitPublicisedV1, on.replace(day=1), notice_from=on.replace(day=1), notice_until=on
        )
        return self.step(reg.HouseholdExitedV1, on, verification_id=uuid4())

    def join(self, on: date) -> "Home":
        member = reg.Member(person_id=uuid4(), name="新成员", relation=Relation.CHILD)
        self._add(reg.MemberAddedV1(household_id=self.id, effective_date=on, member=member))
        self.sizes.append((on, self.sizes[-1][1] + 1))
        return self

    def leave(self, on: date) -> "Home":
        person = self.person_ids[-1]
        self._add(reg.MemberRemovedV1(household_id=self.id, effective_date=on, person_id=person))
        self.sizes.append((on, self.sizes[-1][1] - 1))
        return self

    def income(self, year: int, per_head: int) -> "Home":
        size = self.sizes[-1][1]
        self._add(wage_income(self.id, year, per_head, size, on=date(year + 1, 1, 10)))
        return self

    # What the test expects, reckoned from the scenario itself.
    def status_on(self, day: date | None) -> str | None:
        known = [s for d, s in self.statuses if day is None or d <= day]
        return known[-1] if known else None

    def size_on(self, day: date | None) -> int:
        return [n for d, n in self.sizes if day is None or d <= day][-1]

    def moves(self, status: str, day: date | None) -> Counter[int]:
        return Counter(d.year for d, s in self.statuses if s == status and (not day or d <= day))


def village_events() -> list[Envelope]:
    def registered(code: str, seq: int, poor: bool, population: int, on: date) -> Envelope:
        data = reg.VillageRegisteredV1(
            village_code=code,
            effective_date=on,
            name=f"村{code[-3:]}",
            poor=poor,
            rural_population=population,
            hardship_belt="定西特困片带",
        )
        return envelope(data, code, seq)

    def assessed(code: str, on: date, source: str, **conditions: object) -> EventData:
        return reg.VillageConditionsRecordedV1(
            village_code=code, effective_date=on, source=source, **conditions
        )

    profile = reg.VillageProfileRecordedV1(
        village_code=V2,
        effective_date=date(2017, 6, 1),
        poor=True,
        rural_population=200,
        cooperatives=2,
        mutual_aid_fund=50_000_000,
    )
    no_broadband = {**ALL_MET, "broadband": False}
    return [
        registered(V1, 1, True, 100, date(2016, 1, 1)),
        registered(V2, 1, True, 250, date(2016, 1, 1)),
        envelope(profile, V2, 2),
        envelope(assessed(V2, date(2016, 1, 1), "县扶贫办 2016 验收", **ALL_MET), V2, 3),
        registered(V3, 1, False, 300, date(2016, 1, 1)),
        envelope(assessed(V1, date(2017, 6, 30), "县扶贫办 验收表", **no_broadband), V1, 2),
        envelope(assessed(V1, date(2018, 1, 10), "县工信局", broadband=True), V1, 3),
        envelope(assessed(V1, date(2018, 6, 30), "县交通局", road_access=False), V1, 4),
    ]


# Every condition of gansu-2016's village exit met (四 7 and 9 of the seed).
ALL_MET = conditions_met(2_000_000, 5)


POPULATION: dict[str, list[tuple[date, int]]] = {
    V1: [(date(2016, 1, 1), 100)],
    V2: [(date(2016, 1, 1), 250), (date(2017, 6, 1), 200)],
    V3: [(date(2016, 1, 1), 300)],
}


def scenario() -> list[Home]:
    h1 = Home(V1, 3).exit(date(2017, 10, 8)).income(2017, 400_000)
    h2 = Home(V1, 3).income(2016, 250_000).income(2017, 333_500).leave(date(2018, 1, 15))
    h3 = Home(V2, 4).exit(date(2016, 12, 20)).income(2017, 700_000)
    h3.step(reg.ReturnedToPovertyV1, date(2018, 3, 1), cause=PovertyCause.ILLNESS)
    h4 = Home(V2, 2).income(2017, 100_000).step(reg.HouseholdRemovedV1, date(2017, 6, 1))
    h5 = Home(V2, 1, registered_on=date(2017, 1, 10)).join(date(2017, 2, 1))
    h5.income(2017, 500_000)
    h6 = Home(V4, 3).income(2017, 600_000)
    return [h1, h2, h3, h4, h5, h6]


def expected(homes: list[Home], level: str, day: date | None) -> dict[str, dict]:
    """Each region's figures, counted straight from the scenario's households."""
    digits = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}[level]

    def code(village: str) -> str:
        return village[:digits].ljust(6, "0")

    villages = {h.village for h in homes if h.status_on(day) not in (None, "removed")}
    villages |= {v for v, standing in POPULATION.items() if standing[0][0] <= (day or date.max)}
    rows: dict[str, dict] = {}
    for region in sorted({code(v) for v in villages}):
        inside = [v for v in villages if code(v) == region]
        poor = [h for h in homes if code(h.village) == region and h.status_on(day) in POOR]
        people = sum(h.size_on(day) for h in poor)
        known = [
            [p for d, p in POPULATION[v] if day is None or d <= day]
            for v in inside
            if v in POPULATION
        ]
        population = sum(k[-1] for k in known if k)
        missing = len(inside) - sum(1 for k in known if k)
        rate = None
        if not missing and population:
            with localcontext() as ctx:
                ctx.prec = 40
                rate = str(
                    (Decimal(people) / population).quantize(Decimal("0.0001"), ROUND_HALF_UP)
                )
        mine = [h for h in homes if code(h.village) == region]
        rows[region] = {
            "poor_households": len(poor),
            "poor_people": people,
            "rural_population": population,
            "villages_without_population": missing,
            "incidence": rate,
            "exits": by_year(mine, "exited", day),
            "returns": by_year(mine, "returned", day),
        }
    return rows


def by_year(homes: list[Home], status: str, day: date | None) -> dict[str, int]:
    total = sum((h.moves(status, day) for h in homes), Counter())
    return {str(year): n for year, n in sorted(total.items())}


def found(report: dict) -> dict[str, dict]:
    keys = [
        "poor_households",
        "poor_people",
        "rural_population",
        "villages_without_population",
        "incidence",
        "exits",
        "returns",
    ]
    return {row["code"]: {k: row[k] for k in keys} for row in report["rows"]}


@pytest.fixture
async def service(database_url, kafka_settings):
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    homes = scenario()
    # Villages first, then the households, event by event in each one's order.
    events = village_events() + [e for h in homes for e in h.events]
    events.append(events[-1])  # a redelivery must not count twice
    await publish(kafka_settings, Topic.REGISTRY, *events)
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def arrived() -> None:
            answer = await client.get("/v1/rollups", params={"level": "village"})
            assert answer.status_code == 200, answer.text
            assert found(answer.json()) == expected(homes, "village", None)
            # the last household's income too, for the distribution
            spread = (await client.get("/v1/income-distribution")).json()
            assert [b["households"] for b in spread.get("bands", [])] == [1, 2, 1, 1]

        await eventually(arrived)
        yield client, homes


DAYS = [
    None,
    date(2015, 12, 31),
    date(2016, 4, 1),
    date(2016, 12, 31),
    date(2017, 1, 31),
    date(2017, 6, 1),
    date(2017, 12, 31),
    date(2018, 1, 15),
    date(2018, 3, 1),
]


async def test_every_level_as_of_any_day_matches_the_scenario(service) -> None:
    client, homes = service
    for day, level in [(d, lvl) for d in DAYS for lvl in LEVELS]:
        params = {"region": "620000", "level": level}
        if day:
            params["as_of"] = day.isoformat()
        answer = await client.get("/v1/rollups", params=params)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["as_of"] == (day.isoformat() if day else None)
        assert report["rule_set"] == (None if day and day.year < 2016 else "gansu-2016")
        assert found(report) == expected(homes, level, day), (level, day)


async def test_the_figures_that_matter_spelled_out(service) -> None:
    client, _ = service

    async def rows(**params: str) -> dict[str, dict]:
        report = (await client.get("/v1/rollups", params=params)).json()
        return {row["code"]: row for row in report["rows"]}

    now = await rows(level="village")
    assert (now[V1]["poor_people"], now[V1]["incidence"]) == (2, "0.0200")  # h2 after one left
    assert (now[V2]["poor_people"], now[V2]["incidence"]) == (6, "0.0300")  # h3 back, h5
    assert now[V2]["exits"] == {"2016": 1} and now[V2]["returns"] == {"2018": 1}
    assert now[V3]["incidence"] == "0.0000" and now[V3]["name"] == "村201"
    assert now[V4]["incidence"] is None
    assert now[V4]["incidence_note"] == "rural population not registered for 1 village"

    counties = await rows(level="county")
    assert counties["621121"]["incidence"] == "0.0133"  # 8 / 600
    assert counties["621121"]["poor_villages"] == 2
    # 0.0200 and 0.0300, but V1's road is no longer hardened since 2018-06-30
    assert counties["621121"]["poor_villages_eligible_for_exit"] == 1
    assert counties["621122"]["incidence"] is None
    (city,) = (await rows(level="city")).values()
    assert city["code"] == "621100" and city["poor_people"] == 11 and city["incidence"] is None
    # Where the population is known: 621121's 8 of 600; V4's 3 poor people are left out.
    assert city["incidence_where_known"] == "0.0133"
    assert city["villages_without_population"] == 1
    assert counties["621122"]["incidence_where_known"] is None  # no village registered one
    # Names from the shared region table, at every level it holds; townships have none.
    assert (city["name"], counties["621121"]["name"]) == ("定西市", "通渭县")
    (province,) = (await rows(level="province")).values()
    assert province["name"] == "甘肃省"

    then = await rows(level="village", as_of="2016-12-31")
    assert (then[V1]["poor_people"], then[V1]["incidence"]) == (6, "0.0600")
    assert (then[V2]["poor_people"], then[V2]["rural_population"]) == (2, 250)  # h4 only
    counties = await rows(level="county", as_of="2016-12-31")
    assert counties["621121"]["poor_villages_eligible_for_exit"] == 1  # V2 at 0.0080

    inside = await rows(region="621121", level="township")
    assert sorted(inside) == ["621121100", "621121101"]
    assert inside["621121100"]["incidence"] == "0.0267"  # 8 / 300
    assert inside["621121100"]["name"] is None  # the region table stops at counties


async def test_a_village_becomes_eligible_after_its_exits(service) -> None:
    client, _ = service

    async def eligibility(code: str, **params: str) -> dict:
        answer = await client.get(f"/v1/villages/{code}/exit-eligibility", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    before = await eligibility(V1, as_of="2016-12-31")
    assert not before["eligible"] and before["incidence"] == "0.0600"
    assert before["reasons"][0] == "poverty incidence 0.0600 is above 0.03"
    assert before["rule_set"] == "gansu-2016" and not before["what_if"]

    after = await eligibility(V1, as_of="2017-12-31")  # h1 exited on 2017-10-08
    assert not after["eligible"] and after["incidence"] == "0.0300"
    assert after["exits"] == {"2017": 1} and after["poor_households"] == 1
    criteria = {c["name"]: c for c in after["criteria"]}
    assert criteria["poverty_incidence"]["status"] == "passed"
    assert criteria["poverty_incidence"]["value"] == "0.0300 (3 / 100)"
    assert criteria["poor_village"]["status"] == "passed"
    assert criteria["road_access"]["status"] == "passed"
    assert after["reasons"] == ["broadband fails: no, needs yes (县扶贫办 验收表)"]

    now = await eligibility(V2)
    assert now["eligible"] and now["incidence"] == "0.0300" and now["max_incidence"] == "0.03"
    what_if = await eligibility(V2, rules="national-2016-central-eastern")
    assert what_if["what_if"] and not what_if["eligible"] and what_if["max_incidence"] == "0.02"
    assert what_if["reasons"][0] == "poverty incidence 0.0300 is above 0.02"

    unregistered = await eligibility(V4)
    assert not unregistered["eligible"] and unregistered["rural_population"] is None
    assert "rural population not registered" in unregistered["reasons"]

    not_poor = await eligibility(V3)
    assert not not_poor["eligible"]
    assert not_poor["reasons"][0] == "not a registered poor village: it has nothing to exit"


async def test_village_exit_rests_on_the_conditions_in_force(service) -> None:
    """The seed's goals for poor villages (四 7 完善基础设施: 村道硬化, 饮水安全, 危房改造,
    农电保障, 信息网络; 9: 就学, 标准化卫生室 and 村医, 综合性文化中心; 8 (5): 产业合作组织),
    accepted by the county (六 15: 村由县负责验收): V1 has no record before 2017-06-30, no
    broadband until 2018-01-10, and its road is recorded broken from 2018-06-30."""
    client, _ = service

    async def eligibility(**params: str) -> dict:
        answer = await client.get(f"/v1/villages/{V1}/exit-eligibility", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    nothing = await eligibility(as_of="2017-06-29")
    assert not nothing["eligible"] and len(nothing["not_assessed"]) == 10
    assert "road_access not assessed: no record of it in force" in nothing["reasons"]

    without_broadband = await eligibility(as_of="2018-01-09")
    assert not without_broadband["eligible"] and without_broadband["incidence"] == "0.0300"
    assert without_broadband["reasons"] == ["broadband fails: no, needs yes (县扶贫办 验收表)"]

    met = await eligibility(as_of="2018-03-31")
    assert met["eligible"] and met["reasons"] == [] and met["not_assessed"] == []
    criteria = {c["name"]: c for c in met["criteria"]}
    assert criteria["broadband"]["value"] == "yes from 2018-01-10 (县工信局)"
    assert criteria["housing_safety"]["value"] == "1.0000 (5 / 5) from 2017-06-30 (县扶贫办 验收表)"
    assert criteria["collective_income"]["threshold"] == ">= 1"

    worse = await eligibility(as_of="2018-12-31")
    assert not worse["eligible"]
    assert worse["reasons"] == ["road_access fails: no, needs yes (县交通局)"]
    assert not (await eligibility())["eligible"]


async def test_the_csv_export_has_the_same_figures(service) -> None:
    client, _ = service
    answer = await client.get("/v1/rollups.csv", params={"level": "village"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="rollups-620000-village.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    json_rows = (await client.get("/v1/rollups", params={"level": "village"})).json()["rows"]
    assert [row["code"] for row in rows] == [row["code"] for row in json_rows]
    by_code = {row["code"]: row for row in rows}
    assert by_code[V2]["incidence"] == "0.0300" and by_code[V2]["poor_people"] == "6"
    assert by_code[V2]["exits_2016"] == "1" and by_code[V2]["returns_2018"] == "1"
    assert by_code[V1]["exits_2017"] == "1" and by_code[V1]["exits_2016"] == "0"
    assert by_code[V4]["incidence"] == "" and by_code[V3]["name"] == "村201"
    dated = await client.get("/v1/rollups.csv", params={"level": "county", "as_of": "2017-12-31"})
    assert 'filename="rollups-620000-county-2017-12-31.csv"' in dated.headers["content-disposition"]


async def test_the_income_distribution_around_the_line(service) -> None:
    client, _ = service
    spread = (await client.get("/v1/income-distribution", params={"region": "620000"})).json()
    assert spread["year"] == 2017 and spread["poverty_line_fen"] == 333_500
    assert spread["scope"] == "register" and spread["households"] == 5  # h4 removed
    assert [
        (b["band"], b["above_fen"], b["up_to_fen"], b["households"], b["share"])
        for b in spread["bands"]
    ] == [
        ("at_or_below_line", None, 333_500, 1, "0.2000"),  # h2 at the line
        ("line_to_1.5x", 333_500, 500_250, 2, "0.4000"),  # h1, h5
        ("1.5x_to_2x", 500_250, 667_000, 1, "0.2000"),  # h6
        ("above_2x", 667_000, None, 1, "0.2000"),  # h3
    ]

    poor = (await client.get("/v1/income-distribution", params={"poor_only": "true"})).json()
    assert poor["scope"] == "poor" and poor["households"] == 4  # h1 has exited
    assert [b["households"] for b in poor["bands"]] == [1, 1, 1, 1]

    earlier = await client.get("/v1/income-distribution", params={"region": V1, "year": "2016"})
    body = earlier.json()
    assert body["poverty_line_fen"] == 295_200 and body["households"] == 2
    assert body["households_without_income"] == 1
    assert [b["households"] for b in body["bands"]] == [1, 0, 0, 0]

    county = (await client.get("/v1/income-distribution", params={"region": "621122"})).json()
    assert [b["households"] for b in county["bands"]] == [0, 0, 1, 0]


BAD_QUERIES = [
    ("/v1/rollups", {"region": "621121", "level": "city"}, 422),
    ("/v1/rollups", {"level": "district"}, 422),
    ("/v1/rollups", {"region": "6211"}, 422),
    ("/v1/rollups", {"region": "630000"}, 422),
    ("/v1/rollups", {"as_of": "2017-13-01"}, 422),
    ("/v1/rollups", {"as_of": "20171231"}, 422),
    ("/v1/rollups", {"as_of": "2017-12-31T00:00:00"}, 422),
    ("/v1/rollups", {"asof": "2017-12-31"}, 422),
    ("/v1/rollups", {"rules": "no-such-rules"}, 422),
    ("/v1/rollups", {"rules": "Bad Name"}, 422),
    ("/v1/rollups.csv", {"level": "nation"}, 422),
    (f"/v1/villages/{V1}/exit-eligibility", {"rules": "no-such-rules"}, 422),
    (f"/v1/villages/{V1}/exit-eligibility", {"as_of": "2015-06-30"}, 422),
    (f"/v1/villages/{V1}/exit-eligibility", {"region": "620000"}, 422),
    ("/v1/villages/62112110020/exit-eligibility", {}, 422),
    ("/v1/villages/621121100299/exit-eligibility", {}, 404),
    (
        f"/v1/villages/{V1}/exit-eligibility",
        {"as_of": "2015-06-30", "rules": "gansu-2016"},
        404,
    ),
    ("/v1/income-distribution", {"year": "2009"}, 422),
    ("/v1/income-distribution", {"year": "2021"}, 422),
    ("/v1/income-distribution", {"region": "621123"}, 404),
    ("/v1/income-distribution", {"poor_only": "maybe"}, 422),
]


async def test_bad_queries_answer_problems(service) -> None:
    client, _ = service
    for path, params, status in BAD_QUERIES:
        answer = await client.get(path, params=params)
        assert answer.status_code == status, (path, params, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["status"] == status


async def test_before_any_rule_set_the_rollup_still_counts(service) -> None:
    client, _ = service
    report = (
        await client.get("/v1/rollups", params={"level": "county", "as_of": "2015-12-31"})
    ).json()
    assert report["rule_set"] is None and report["rows"] == []
    report = (await client.get("/v1/rollups", params={"as_of": "2016-02-01"})).json()
    assert report["rule_set"] == "gansu-2016"
    assert [
        (r["code"], r["poor_people"], r["poor_villages_eligible_for_exit"]) for r in report["rows"]
    ] == [("621121", 0, 1)]  # V1: not assessed yet
