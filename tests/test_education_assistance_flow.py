"""Education assistance for poor students (教育扶贫, seed 四.9(1)) across three real services
and the real broker: the registry files the households, training learns their members from
the registry's events, the county records a 中职 student's 2,000-yuan grant (助学金) and the
fees waived (免除学费和书本费) in training, and evaluation shows them in the household's
教育保障 and counts them in the roll-ups of every region above it."""

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from tuopin_cli.stack import Stack
from tuopin_cli.testing import some_of
from tuopin_eventkit.auth import AuthSettings, Principal, Role
from tuopin_eventkit.testing import ADMIN, bearer, eventually
from tuopin_registry.examples import filing, member, resident_id

ADMIN_TOKEN = bearer(AuthSettings(), ADMIN)
TONGWEI, LONGXI = "621121", "621122"  # 通渭县, 陇西县 (定西市)


def officer(county: str) -> dict[str, str]:
    """The county's account (its education bureau records through it)."""
    return bearer(AuthSettings(), Principal(f"edu-{county}", Role.COUNTY_OFFICER, region=county))


def grant(county: str, number: str, **changes: object) -> dict[str, object]:
    return {"county_code": county, "id_number": number, "academic_year": 2017,
            "level": "secondary_vocational", "kind": "grant", "school": "通渭县职业中专",
            "decided_on": "2017-10-15", **changes}  # fmt: skip


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with some_of(tmp_path, "registry", "training", "evaluation") as stack:
        yield stack


async def test_seed_4_9_1_grant_posted_in_training_shows_in_evaluation(stack: Stack) -> None:
    """Seed 四.9(1) "给中职学生每生每学年发放2000元助学金": posted once in training (a
    second grant for the same student-year refused), shown in evaluation's household view
    and counted — students assisted, yuan granted and waived — in the roll-ups."""
    students = {county: resident_id(date(2001, 9, 1)) for county in (TONGWEI, LONGXI)}
    homes: dict[str, str] = {}
    clients = {
        name: httpx.AsyncClient(base_url=stack.url(name), timeout=10, headers=ADMIN_TOKEN)
        for name in ("registry", "training", "evaluation")
    }
    registry, training, evaluation = clients.values()
    try:
        for n, county in enumerate((TONGWEI, LONGXI)):
            members = [
                member(),
                member("child", id_number=students[county], schooling="vocational"),
            ]
            body = filing(f"{county}-0001", village=f"{county}100201", members=members)
            answer = await registry.post("/v1/households", json=body,
                                         headers={"Idempotency-Key": f"filing-{n}"})  # fmt: skip
            assert answer.status_code == 201, answer.text
            homes[county] = answer.json()["household_id"]

        async def known_to_training() -> None:
            for home in homes.values():
                assert (await training.get(f"/v1/households/{home}")).status_code == 200

        await eventually(known_to_training, timeout=60)

        student = students[TONGWEI]
        for county, key, body, status in [
            (TONGWEI, "TW-2017-001", grant(TONGWEI, student), 201),
            (TONGWEI, "TW-2017-001", grant(TONGWEI, student), 201),  # a retry: the first answer
            (TONGWEI, "TW-2017-002", grant(TONGWEI, student, decided_on="2018-03-01"), 409),
            (TONGWEI, "TW-2017-003", grant(TONGWEI, student, level="higher_vocational"), 422),
            (LONGXI, "LX-2017-001", grant(TONGWEI, student), 403),  # another county's token
            (TONGWEI, "TW-2017-004", grant(TONGWEI, student, kind="tuition_waiver",
                                           amount_fen=180_000), 201),
            (LONGXI, "LX-2017-002", grant(LONGXI, students[LONGXI], school="陇西县职专"), 201),
        ]:  # fmt: skip
            headers = {"Idempotency-Key": key, **officer(county)}
            answer = await training.post("/v1/education-assistance", json=body, headers=headers)
            assert answer.status_code == status, answer.text

        async def shown() -> dict:
            view = await evaluation.get(f"/v1/households/{homes[TONGWEI]}/education")
            assert view.status_code == 200, view.text
            assert view.json()["students_assisted"] == 1 and view.json()["waived_fen"] == 180_000
            return view.json()

        view = await eventually(shown, timeout=60)
        assert (view["granted_fen"], view["waived_fen"]) == (200_000, 180_000)
        (pupil,) = view["members"]
        assert pupil["member"].endswith(student[-4:]) and student not in str(view)
        (year,) = pupil["years"]
        assert (year["academic_year"], year["level"], year["granted_fen"]) == (
            2017, "secondary_vocational", 200_000)  # fmt: skip
        assert sorted(a["kind"] for a in year["assistance"]) == ["grant", "tuition_waiver"]
        before = await evaluation.get(f"/v1/households/{homes[TONGWEI]}/education",
                                      params={"as_of": "2017-10-14"})  # fmt: skip
        assert (before.json()["students_assisted"], before.json()["members"]) == (0, [])

        async def counted() -> dict:
            answer = await evaluation.get(
                "/v1/rollups", params={"region": "6211", "level": "county"}
            )
            rows = answer.json()["rows"]
            by = {r["code"]: r for r in rows}
            assert by[LONGXI]["students_assisted"] == 1
            return by

        by = await eventually(counted, timeout=60)
        assert [(by[c]["students_assisted"], by[c]["education_granted_fen"],
                 by[c]["education_waived_fen"]) for c in (TONGWEI, LONGXI)] == [
            (1, 200_000, 180_000), (1, 200_000, 0)]  # fmt: skip
        city = await evaluation.get("/v1/rollups", params={"region": "62", "level": "city"})
        (dingxi,) = [r for r in city.json()["rows"] if r["code"] == "6211"]
        assert (dingxi["students_assisted"], dingxi["education_granted_fen"]) == (2, 400_000)
        early = await evaluation.get("/v1/rollups", params={"region": TONGWEI, "level": "county",
                                                            "as_of": "2017-09-30"})  # fmt: skip
        assert early.json()["rows"][0]["students_assisted"] == 0
        # A county officer sees its own county's figures, not the neighbour's household.
        mine = await evaluation.get(f"/v1/households/{homes[TONGWEI]}/education",
                                    headers=officer(TONGWEI))  # fmt: skip
        assert mine.status_code == 200
        theirs = await evaluation.get(f"/v1/households/{homes[TONGWEI]}/education",
                                      headers=officer(LONGXI))  # fmt: skip
        assert theirs.status_code == 403
    finally:
        for client in clients.values():
            await client.aclose()
