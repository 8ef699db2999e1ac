"""A county back-fills 2015–2017 in one sitting today, through the public APIs: filings,
assistance, incomes, exits (judged by evaluation through the real broker), a return and a
removal. Each year's figures must be what they would have been had every fact been
entered on time: an exit counts in the year its notice ended, not the year it was
entered, and a household identified in 2016 was not poor in 2015."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from tuopin_cli.stack import Stack
from tuopin_cli.testing import some_of
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import ADMIN, bearer, eventually
from tuopin_registry.examples import filing, member, resident_id

ADMIN_TOKEN = bearer(AuthSettings(), ADMIN)
VILLAGE = "621121100201"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with some_of(tmp_path, "registry", "evaluation", "loans") as stack:
        yield stack


def family(number: str) -> dict:
    """Two people, both insured; the child (born 2007) at primary school through 2017."""
    members = [
        member("head", id_number=resident_id(), medical_insurance=True),
        member(
            "child",
            id_number=resident_id(date(2007, 3, 1)),
            schooling="primary",
            medical_insurance=True,
        ),
    ]
    return filing(number, members=members)


def income(year: int, per_head_yuan: int, on: str) -> dict:
    return {
        "effective_date": on,
        "year": year,
        "wages": per_head_yuan * 2 * 100,
        "production_and_business": 0,
        "property": 0,
        "transfers": 0,
    }


SAFE = {"housing_safe": True, "drinking_water_safe": True}


def exit_steps(appraised: str, notice_from: str, notice_until: str) -> list[tuple[str, dict]]:
    return [
        ("exit-proposal", {"appraisal_date": appraised}),
        ("exit-notice", {"notice_from": notice_from, "notice_until": notice_until}),
    ]


# The history as it happened: (file number, identified on, steps in business-date order).
HISTORY: list[tuple[str, str, list[tuple[str, dict]]]] = [
    # Exits in 2016 (the county: notice 2016-11-01 to 11-08).
    (
        "621121-0001",
        "2015-03-01",
        [
            ("assistance", {"effective_date": "2015-04-01"}),
            ("conditions", {"effective_date": "2016-06-30", **SAFE}),
            ("incomes", income(2016, 4_000, "2016-10-20")),
            *exit_steps("2016-11-01", "2016-11-01", "2016-11-08"),
        ],
    ),
    # Exits in 2017, returns to poverty in December 2017.
    (
        "621121-0002",
        "2015-05-01",
        [
            ("assistance", {"effective_date": "2015-06-01"}),
            ("conditions", {"effective_date": "2017-06-30", **SAFE}),
            ("incomes", income(2017, 4_500, "2017-09-20")),
            *exit_steps("2017-10-01", "2017-10-02", "2017-10-08"),
        ],
    ),
    # Identified only in 2016; still poor.
    ("621121-0003", "2016-06-01", [("assistance", {"effective_date": "2016-07-01"})]),
    # Identified in 2017 and removed as wrongly identified the same year.
    (
        "621121-0004",
        "2017-02-01",
        [
            ("removal", {"effective_date": "2017-08-01", "reason": "家有轿车, 识别不准"}),
        ],
    ),
]

# What the books should say at each year's end: poor households and people; exits and
# returns in that year.
EXPECTED = {
    2015: (2, 4, 0, 0),
    2016: (2, 4, 1, 0),  # 0001 exited on 2016-11-08; 0003 identified
    2017: (2, 4, 1, 1),  # 0002 exited on 2017-10-08 and returned on 2017-12-01
}


async def test_a_back_filled_history_gives_each_year_its_own_figures(stack: Stack) -> None:
    headers = ADMIN_TOKEN
    async with (
        httpx.AsyncClient(base_url=stack.url("registry"), timeout=15, headers=headers) as registry,
        httpx.AsyncClient(base_url=stack.url("evaluation"), timeout=15, headers=headers) as ev,
    ):
        village = {
            "village_code": VILLAGE,
            "name": "张家村",
            "poor": True,
            "rural_population": 400,
            "effective_date": "2015-01-01",
        }
        assert (await registry.post("/v1/villages", json=village)).status_code == 201
        ids = {}
        for number, identified, steps in HISTORY:
            filed = await registry.post(
                "/v1/households", json=family(number) | {"effective_date": identified}
            )
            assert filed.status_code == 201, filed.text
            ids[number] = hid = filed.json()["household_id"]
            for path, body in steps:
                answer = await registry.post(f"/v1/households/{hid}/{path}", json=body)
                assert answer.status_code == 200, (path, answer.text)

        async def exited(number: str, on: str) -> None:
            found = (await registry.get(f"/v1/households/{ids[number]}")).json()
            assert (found["status"], found["status_since"]) == ("exited", on), found

        await eventually(lambda: exited("621121-0001", "2016-11-08"), timeout=60)
        await eventually(lambda: exited("621121-0002", "2017-10-08"), timeout=60)
        back = {"cause": "illness", "effective_date": "2017-12-01", "reason": "户主重病"}
        returned = await registry.post(
            f"/v1/households/{ids['621121-0002']}/return-to-poverty", json=back
        )
        assert returned.status_code == 200, returned.text

        async def figures(year: int) -> tuple[int, int, int, int]:
            params = {"region": "621121", "level": "village", "as_of": f"{year}-12-31"}
            answer = await ev.get("/v1/rollups", params=params)
            assert answer.status_code == 200, answer.text
            (row,) = answer.json()["rows"]
            y = str(year)
            return (
                row["poor_households"],
                row["poor_people"],
                row["exits"].get(y, 0),
                row["returns"].get(y, 0),
            )

        async def every_year_as_it_happened() -> None:
            assert {year: await figures(year) for year in EXPECTED} == EXPECTED

        await eventually(every_year_as_it_happened, timeout=60)
        # The registry answers the same questions on business time.
        first = ids["621121-0001"]
        then = await registry.get(f"/v1/households/{first}", params={"as_of": "2016-11-07"})
        assert then.json()["status"] == "exit_publicised"
        late = await registry.get(
            f"/v1/households/{ids['621121-0003']}", params={"as_of": "2015-12-31"}
        )
        assert late.status_code == 404

    # A bank deciding a microcredit loan judges the household as it stood that day.
    async with httpx.AsyncClient(base_url=stack.url("loans"), timeout=15, headers=headers) as loans:

        async def standing(number: str, day: str) -> dict:
            answer = await loans.get(
                f"/v1/borrowers/{ids[number]}/eligibility", params={"as_of": day}
            )
            assert answer.status_code == 200, answer.text
            return answer.json()

        async def known_exit() -> None:
            after = await standing("621121-0001", "2017-01-10")
            assert after["eligible"] is False and "2016-11-08" in " ".join(after["reasons"])

        await eventually(known_exit, timeout=60)
        assert (await standing("621121-0001", "2016-11-07"))["eligible"] is True
        before = await standing("621121-0003", "2016-05-31")
        assert before["eligible"] is False  # identified only on 2016-06-01
        assert (await standing("621121-0003", "2016-06-01"))["eligible"] is True
