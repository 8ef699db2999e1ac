"""Education assistance for poor students (教育扶贫, seed 四.9(1)) recorded in training by
the county over HTTP, against a registry read model fed through the real broker: "给中职学生
每生每学年发放2000元助学金", "免除学费和书本费" for 中职 and 高职(专科), "免收保教费"."""

from datetime import date
from functools import partial
from typing import Any

import httpx

from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import bearer
from tuopin_training import examples

VILLAGE = "621121100201"


def token(role: Role, region: str) -> str:
    return bearer(AuthSettings(), Principal("edu", role, region=region))["Authorization"]


grant = partial(examples.grant, VILLAGE[:6])  # the village's county decides


async def record(client: httpx.AsyncClient, body: dict[str, Any], key: str) -> httpx.Response:
    """The county's office posts a decision, under its idempotency key."""
    headers = {"Idempotency-Key": key}
    return await client.post("/v1/education-assistance", json=body, headers=headers)


async def test_seed_4_9_1_secondary_vocational_grant_2000_yuan_once_per_student_year(
    service, kit
) -> None:
    """Seed 四.9(1): 中职学生每生每学年2000元助学金 — recorded once per student-year; the
    same decision retried with its key answers the first time; a second grant for the same
    student-year is a 409 problem; the next year's grant is another 2,000 yuan."""
    home = kit.Home(VILLAGE, [date(1975, 3, 1), date(2001, 9, 1)])
    async with service([home]) as client:
        student = home.numbers[1]
        first = await record(client, grant(student), "JY-2017-001")
        assert first.status_code == 201, first.text
        body = first.json()
        assert (body["amount_fen"], body["amount_yuan"]) == (200_000, "2000.00")
        assert body["household_id"] == str(home.id)
        assert body["id_number_masked"].endswith(student[-4:])
        assert student not in first.text and "id_number_hash" not in body

        again = await record(client, grant(student), "JY-2017-001")
        assert (again.status_code, again.json()) == (201, body)
        assert again.headers["Idempotent-Replayed"] == "true"

        head = (await client.get("/v1/events", params={"limit": 1})).json()["head"]
        twice = await record(client, grant(student, decided_on="2018-03-01"), "JY-2017-002")
        assert twice.status_code == 409, twice.text
        assert twice.headers["content-type"] == "application/problem+json"
        assert "already recorded" in twice.json()["detail"]
        assert twice.json()["assistance_id"] == body["assistance_id"]
        assert (await client.get("/v1/events", params={"limit": 1})).json()["head"] == head

        # The waivers of the same student-year, and the next year's grant, are their own.
        waiver = grant(student, kind="tuition_waiver", amount_fen=180_000)
        answer = await record(client, waiver, "JY-2017-003")
        assert answer.status_code == 201, answer.text
        next_year = await record(client, grant(student, 2018), "JY-2018-001")
        assert next_year.status_code == 201, next_year.text
        feed = (await client.get("/v1/events", params={"after": head})).json()["items"]
        kind = "training.education_assistance.recorded.v1"
        recorded = [i["event"] for i in feed if i["event"]["type"] == kind]
        assert [
            (e["data"]["academic_year"], e["data"]["kind"], e["data"]["amount_fen"])
            for e in recorded
        ] == [(2017, "tuition_waiver", 180_000), (2018, "grant", 200_000)]
        assert all(student not in str(e) for e in recorded)


async def test_seed_4_9_1_refusals_name_the_rule_and_write_nothing(service, kit) -> None:
    """Seed 四.9(1): the grant is for 中职 students only, the fee waivers for 中职 and 高职,
    the care-fee waiver for preschool; the student belongs to a registered poor household
    of the deciding county on the decision date; the grant is 2,000 yuan."""
    home = kit.Home(VILLAGE, [date(1975, 3, 1), date(2001, 9, 1), date(2013, 2, 1)])
    removed = kit.Home("621121100202", [date(2000, 1, 1)]).remove()
    async with service([home, removed]) as client:
        student, child = home.numbers[1], home.numbers[2]
        head = (await client.get("/v1/events", params={"limit": 1})).json()["head"]
        for n, (body, rule) in enumerate(
            [
                (grant(student, level="higher_vocational"), "schooling-level"),
                (grant(student, level="preschool"), "schooling-level"),
                (
                    grant(child, kind="tuition_waiver", level="preschool", amount_fen=1),
                    "schooling-level",
                ),
                (grant(student, kind="care_fee_waiver", amount_fen=50_000), "schooling-level"),
                (grant(student, amount_fen=100_000), "grant-amount"),
                (grant(student, kind="book_fee_waiver"), "amount-required"),
                (grant(student, county_code="621122"), "county"),
                (
                    grant(student, decided_on="2016-03-01", academic_year=2015),
                    "registered-poor-household",
                ),
                (grant(removed.numbers[0]), "registered-poor-household"),
                (grant("110101199003078515"), "registered-member"),
            ]
        ):
            answer = await record(client, body, f"R-{n}")
            assert answer.status_code == 422, (rule, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["rule"] == rule, answer.text
        assert (await client.get("/v1/events", params={"limit": 1})).json()["head"] == head

        # A preschool child's care fee (保教费) waived; a 高职 student's tuition waived.
        care = grant(child, level="preschool", kind="care_fee_waiver", amount_fen=120_000)
        answer = await record(client, care, "P-1")
        assert answer.status_code == 201, answer.text
        higher = grant(
            student, 2019, level="higher_vocational", kind="tuition_waiver", amount_fen=450_000
        )
        answer = await record(client, higher, "H-1")
        assert answer.status_code == 201, answer.text
        # Once at 高职 in 2019, the student is not also at 中职 that year.
        answer = await record(client, grant(student, 2019), "H-2")
        assert (answer.status_code, answer.json()["rule"]) == (422, "student-year-level")


async def test_seed_4_9_1_only_the_students_county_records_assistance(service, kit) -> None:
    """Who may post: the county's officers (and the city and province above it); another
    county's, a township's, a centre's token or none are refused, and nothing is written."""
    home = kit.Home(VILLAGE, [date(1975, 3, 1), date(2001, 9, 1)])
    async with service([home]) as client:
        body = grant(home.numbers[1])
        for n, (auth, status) in enumerate(
            [
                ("", 401),
                (token(Role.COUNTY_OFFICER, "621122"), 403),  # 陇西县: another county
                (token(Role.TOWNSHIP_OFFICER, VILLAGE[:9]), 403),
                (kit.centre_token("centre-1"), 403),
                (token(Role.COUNTY_OFFICER, "621121"), 201),  # 通渭县, the student's county
            ]
        ):
            headers = {"Idempotency-Key": f"A-{n}", "Authorization": auth}
            answer = await client.post("/v1/education-assistance", json=body, headers=headers)
            assert answer.status_code == status, answer.text
        # Another county naming itself in the body is refused on the student's household.
        other = grant(home.numbers[1], 2018, county_code="621122")
        headers = {"Idempotency-Key": "A-9", "Authorization": token(Role.COUNTY_OFFICER, "621122")}
        answer = await client.post("/v1/education-assistance", json=other, headers=headers)
        assert (answer.status_code, answer.json()["rule"]) == (422, "county")
