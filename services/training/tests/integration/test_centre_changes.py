"""A centre's accreditation changed as an office does it: renewed and withdrawn under
``If-Match``, a stale version refused, an unknown centre answered 404 (the kernel's one
command loop, ``Repository.change``)."""

from uuid import uuid4

TERMS = {
    "name": "定西市安定区职业技术学校",
    "county_code": "621121",
    "valid_from": "2017-01-01",
    "valid_until": "2021-12-31",
    "occupations": [
        {"occupation": "4-03-02-01", "occupation_name": "中式烹调师", "highest_level": 3}
    ],
}


async def test_renewal_and_withdrawal_under_if_match(service, kit) -> None:
    async with service([]) as client:
        office = await kit.Office(client).setup()
        url = f"/v1/centres/{office.centre_id}"

        renewed = await client.post(
            f"{url}/accreditations", json=TERMS, headers={"If-Match": '"1"'}
        )
        assert renewed.status_code == 200, renewed.text
        assert [t["valid_until"] for t in renewed.json()["terms"]] == ["2020-12-31", "2021-12-31"]

        withdrawal = {"withdrawn_on": "2018-03-01", "reason": "场地不达标"}
        stale = await client.post(f"{url}/withdrawal", json=withdrawal, headers={"If-Match": '"1"'})
        assert stale.status_code == 409, stale.text

        done = await client.post(f"{url}/withdrawal", json=withdrawal, headers={"If-Match": '"2"'})
        # Version 2 still: the stale attempt wrote nothing.
        assert done.status_code == 200, done.text
        assert done.json()["withdrawn_on"] == "2018-03-01" and done.json()["version"] == 3

        unknown = await client.post(f"/v1/centres/{uuid4()}/withdrawal", json=withdrawal)
        assert unknown.status_code == 404
        assert unknown.json()["detail"].startswith("no training centre")
