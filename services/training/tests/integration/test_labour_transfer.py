"""The labour-transfer report (劳务输转). Seed 8(3) "重视发展劳务经济 … 促进劳务输转从体力型向
技能型转变 … 推进培训、鉴定、输转一体化": a centre's placements, counted by region and
destination (within Gansu or outside it, and by place), checked against a count made here
from a generated scenario; then business time (start date, ``as_of``) and the audit view
(``known_at``), the CSV, and the region scope of the officers who read it."""

import csv
import io
import random
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import bearer

# Two townships of 安定区 and a village of 通渭县 (another county of 定西市).
VILLAGES = ["621121100201", "621121100202", "621121101201", "621122100201"]
PLACES = [
    ("兰州市城关区", False),
    ("酒泉市肃州区", False),
    ("江苏省苏州市", True),
    ("新疆维吾尔自治区乌鲁木齐市", True),
]


def placement(
    office: Any, ref: str, number: str, place: tuple[str, bool], start: date, months: int
) -> dict[str, Any]:
    return {
        "kind": "placement",
        "centre_id": office.centre_id,
        "placement_ref": ref,
        "id_number": number,
        "employer": "兰州牛肉拉面馆",
        "place": place[0],
        "outside_province": place[1],
        "start_date": start.isoformat(),
        "months_worked": months,
    }


def expected(
    placed: list[tuple[Any, int, tuple[str, bool], date, int]],
    digits: int,
    within: str,
    year: int,
    day: date,
) -> dict[str, Any]:
    """region → [people, households, placements, months] and per (outside, place)."""
    rows: dict[str, Any] = defaultdict(lambda: defaultdict(lambda: [set(), set(), 0, 0]))
    for home, i, (place, outside), start, months in placed:
        if not home.village.startswith(within) or start.year != year or start > day:
            continue
        for key in ("all", outside, (outside, place)):
            tally = rows[home.village[:digits]][key]
            tally[0].add(home.numbers[i])
            tally[1].add(home.id)
            tally[2] += 1
            tally[3] += months
    return {
        code: {k: [len(t[0]), len(t[1]), t[2], t[3]] for k, t in keys.items()}
        for code, keys in rows.items()
    }


def answered(report: dict[str, Any]) -> dict[str, Any]:
    def four(f: dict[str, Any]) -> list[int]:
        return [f["people"], f["households"], f["placements"], f["months_worked"]]

    out = {}
    for r in report["regions"]:
        keys: dict[Any, list[int]] = {"all": four(r)}
        for name, outside in (("within_province", False), ("outside_province", True)):
            if r[name]["placements"]:
                keys[outside] = four(r[name])
            for at in r[name]["places"]:
                keys[(outside, at["place"])] = four(at)
        out[r["code"]] = keys
    return out


async def test_labour_transfer_by_region_and_destination(service, kit) -> None:
    rng = random.Random(20170101)
    homes = [
        kit.Home(
            v,
            [
                date(rng.randint(1965, 1998), rng.randint(1, 12), 15)
                for _ in range(rng.randint(1, 3))
            ],
        )
        for v in VILLAGES
        for _ in range(3)
    ]
    placed = []
    for home in homes:
        for i in range(len(home.births)):
            for _ in range(rng.choice([0, 1, 1, 2])):  # some twice (another job, or year)
                start = date(rng.choice([2016, 2017]), rng.randint(5, 12), rng.randint(1, 28))
                placed.append((home, i, rng.choice(PLACES), start, rng.randint(0, 12)))
    async with service(homes) as client:
        office = await kit.Office(client).setup()
        for n, (home, i, place, start, months) in enumerate(placed):
            body = placement(office, f"P-{n}", home.numbers[i], place, start, months)
            answer = await office.post(body, f"P-{n}")
            assert answer.status_code == 201, answer.text
        day = date(2016, 12, 31)
        for within, digits, level in (
            ("62", 6, "county"),
            ("621121", 9, "township"),
            ("621121100", 12, "village"),
            ("621121100201", 12, "village"),
        ):
            params = {"region": within, "year": "2016", "as_of": "2017-06-30"}
            report = (await client.get("/v1/labour-transfer", params=params)).json()
            assert report["level"] == level
            want = expected(placed, digits, within, 2016, day)
            assert want and answered(report) == want, within
            # The totals count a person once, however many regions' rows… and placements.
            people = {
                home.numbers[i]
                for home, i, _, start, _ in placed
                if home.village.startswith(within) and start.year == 2016
            }
            assert report["people"] == len(people)
            assert report["placements"] == sum(r["placements"] for r in report["regions"])
            assert (
                report["within_province"]["placements"] + report["outside_province"]["placements"]
                == report["placements"]
            )
            assert "income" not in str(report)  # the placement records none
        # Business time: 2017's placements by 2017-08-31 only.
        cut = date(2017, 8, 31)
        params = {"region": "62", "year": "2017", "as_of": cut.isoformat()}
        report = (await client.get("/v1/labour-transfer", params=params)).json()
        assert answered(report) == expected(placed, 6, "62", 2017, cut)
        # The CSV: one line per region, destination and place.
        as_csv = await client.get(
            "/v1/labour-transfer.csv", params={"region": "621121", "year": "2016"}
        )
        assert as_csv.status_code == 200, as_csv.text
        lines = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
        want = expected(placed, 9, "621121", 2016, day)
        assert {
            (r["code"], r["destination"] == "outside_province", r["place"]): [
                int(r["people"]),
                int(r["households"]),
                int(r["placements"]),
                int(r["months_worked"]),
            ]
            for r in lines
        } == {
            (code, key[0], key[1]): v
            for code, keys in want.items()
            for key, v in keys.items()
            if isinstance(key, tuple)
        }


async def test_labour_transfer_as_of_a_day_and_as_known_at_an_instant(service, kit) -> None:
    """A placement counts from its start date, in its start year; with known_at, only
    once recorded — a placement entered late is missing from the earlier audit view."""
    home = kit.Home(VILLAGES[0], [date(1990, 3, 15), date(1992, 3, 15)])
    async with service([home]) as client:
        office = await kit.Office(client).setup()
        first = placement(office, "P-1", home.numbers[0], PLACES[2], date(2016, 6, 1), 6)
        assert (await office.post(first, "P-1")).status_code == 201
        between = datetime.now(UTC).isoformat()
        late = placement(office, "P-2", home.numbers[1], PLACES[0], date(2016, 11, 1), 2)
        assert (await office.post(late, "P-2")).status_code == 201

        async def figures(year: str = "2016", **params: str) -> tuple[int, int, int, int, int]:
            answer = await client.get(
                "/v1/labour-transfer", params={"region": "621121", "year": year, **params}
            )
            assert answer.status_code == 200, answer.text
            r = answer.json()
            return (
                r["people"],
                r["households"],
                r["months_worked"],
                r["within_province"]["people"],
                r["outside_province"]["people"],
            )

        assert await figures(as_of="2016-05-31") == (0, 0, 0, 0, 0)
        assert await figures(as_of="2016-10-31") == (1, 1, 6, 0, 1)
        assert await figures(as_of="2016-12-31") == (2, 1, 8, 1, 1)
        assert await figures(as_of="2016-12-31", known_at=between) == (1, 1, 6, 0, 1)
        assert await figures(year="2017", as_of="2017-12-31") == (0, 0, 0, 0, 0)
        answer = await client.get(
            "/v1/labour-transfer",
            params={"region": "621121", "year": "2016", "as_of": "2016-12-31", "known_at": between},
        )
        assert answer.json()["known_at"] is not None


async def test_a_county_officer_reads_only_their_own_county(service, kit) -> None:
    home = kit.Home(VILLAGES[0], [date(1990, 3, 15)])
    async with service([home]) as client:
        county = bearer(AuthSettings(), Principal("c", Role.COUNTY_OFFICER, region="621121"))
        for region, status in (
            ("621121", 200),
            ("621121100201", 200),
            ("62", 403),
            ("621122", 403),
        ):
            for path in ("/v1/labour-transfer", "/v1/labour-transfer.csv"):
                answer = await client.get(
                    path, params={"region": region, "year": "2016"}, headers=county
                )
                assert answer.status_code == status, (path, region, answer.text)
        province = await client.get("/v1/labour-transfer", params={"region": "62", "year": "2016"})
        assert province.status_code == 200  # the client's caller: the province
        bad = await client.get("/v1/labour-transfer", params={"region": "63", "year": "2016"})
        assert bad.status_code == 422
