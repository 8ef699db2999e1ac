"""Coverage of the 2020 goal on a generated township of two villages (and one in another
township), checked against a count made here from the scenario itself: which households
are registered and not removed, which current member holds a certificate valid on the day,
and which households still have a working-age member without one."""

import csv
import io
import random
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

DAY = date(2017, 1, 1)
VILLAGES = ["621121100201", "621121100202", "621121101201"]


def age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


async def test_coverage_on_a_generated_township(service, kit) -> None:
    rng = random.Random(20161231)
    homes = []
    for village in VILLAGES:
        for _ in range(5):
            births = [
                date(rng.randint(1952, 2010), rng.randint(1, 12), rng.randint(1, 28))
                for _ in range(rng.randint(1, 4))
            ]
            homes.append(kit.Home(village, births))
    homes[3].remove()
    if len(homes[5].births) > 1:
        homes[5].leaves(len(homes[5].births) - 1)
    # Who gets a certificate: some working-age members, chosen by the dice.
    certify = [
        (h, i)
        for h in homes
        if h.status != "removed"
        for i, b in enumerate(h.births)
        if 16 <= age(b, DAY) and rng.random() < 0.4
    ]
    revoked = certify[0] if certify else None

    async with service(homes) as client:
        office = await kit.Office(client).setup()
        for n, (home, i) in enumerate(certify):
            answer = await office.certify(home.numbers[i], f"GS-{n:04d}")
            assert answer.status_code == 201, answer.text
        if revoked:
            revocation = {
                "kind": "revocation",
                "centre_id": office.centre_id,
                "number": "GS-0000",
                "revoked_on": "2016-12-01",
                "reason": "证书作假",
            }
            assert (await office.post(revocation, "REV-0")).status_code == 201
        # The left member's certificate (if any) no longer counts for the household.
        holders = {(id(h), i) for h, i in certify if (h, i) != revoked and i not in h.gone}

        def covered(home) -> bool:
            return any((id(home), i) in holders for i in range(len(home.births)))

        counted = [h for h in homes if h.status != "removed"]
        for level, digits in (("village", 12), ("township", 9), ("county", 6)):
            report = (
                await client.get(
                    "/v1/coverage",
                    params={"level": level, "code": "621121", "as_of": DAY.isoformat()},
                )
            ).json()
            expected = {}
            for home in counted:
                region = expected.setdefault(home.village[:digits], [0, 0])
                region[0] += 1
                region[1] += covered(home)
            assert {
                r["code"]: [r["households"], r["certified_households"]] for r in report["regions"]
            } == expected
            for r in report["regions"]:
                share = Decimal(r["certified_households"]) / r["households"]
                assert r["coverage"] == str(share.quantize(Decimal("0.0001"), ROUND_HALF_UP))

        for home in homes:
            answer = await client.get(f"/v1/households/{home.id}", params={"as_of": "2017-01-01"})
            assert answer.json()["has_certified_member"] == (
                covered(home) and home.status != "removed"
            )

        # The work list of the first township: working-age members, no certificate.
        township = "621121100"
        on_day = {"code": township, "as_of": DAY.isoformat()}
        listed = (await client.get("/v1/work-list", params=on_day)).json()
        expected_list = {
            str(h.id): sorted(
                str(h.person_ids[i])  # by person id: no mask is published
                for i, b in enumerate(h.births)
                if i not in h.gone and 16 <= age(b, DAY) <= 59
            )
            for h in counted
            if h.village.startswith(township) and not covered(h)
        }
        expected_list = {k: v for k, v in expected_list.items() if v}
        assert {
            r["household_id"]: sorted(r["working_age_members"]) for r in listed["rows"]
        } == expected_list
        as_csv = await client.get("/v1/work-list.csv", params=on_day)
        rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
        assert {r["household_id"] for r in rows} == set(expected_list)

        yearly = (await client.get("/v1/yearly/2016")).json()
        assert yearly["certificates_issued"] == len(certify)
        assert yearly["certificates_revoked"] == (1 if revoked else 0)
        assert yearly["new_professional_farmers"]["target"] == 15_000


async def test_coverage_as_of_a_past_day_and_as_known_at_an_instant(service, kit) -> None:
    """Households count from their filing date until their removal date, a certificate
    from its issue date; known_at leaves out what was recorded after that instant."""
    home = kit.Home(VILLAGES[0], [date(1980, 1, 1)])
    wrong = kit.Home(VILLAGES[0], [date(1981, 1, 1)]).remove()  # removed on 2016-06-01
    async with service([home, wrong]) as client:
        office = await kit.Office(client).setup()
        before = datetime.now(UTC).isoformat()
        assert (await office.certify(home.numbers[0], "GS-P1")).status_code == 201  # 06-10

        async def figures(**params: str) -> tuple[int, int]:
            report = await client.get("/v1/coverage", params={"level": "county", **params})
            return report.json()["households"], report.json()["certified_households"]

        assert await figures(as_of="2016-03-31") == (0, 0)  # none filed yet
        assert await figures(as_of="2016-05-01") == (2, 0)  # not yet removed, none certified
        assert await figures(as_of="2016-06-10") == (1, 1)
        assert await figures(as_of="2016-06-10", known_at=before) == (1, 0)

        async def certified(as_of: str) -> bool:
            answer = await client.get(f"/v1/households/{home.id}", params={"as_of": as_of})
            return answer.json()["has_certified_member"]

        assert not await certified("2016-06-09")
        assert await certified("2016-06-10")
