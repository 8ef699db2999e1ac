"""Centres' postings over HTTP against a registry read model fed through the real broker:
legal postings, refusals that name their rule and write nothing, idempotent retries,
a reused key, certificates verified and revoked, and the events evaluation will count."""

import json
from datetime import date
from uuid import uuid4

from tuopin_contracts import Envelope, Topic
from tuopin_eventkit.testing import read_topic


async def head(client) -> int:
    return (await client.get("/v1/events", params={"limit": 1})).json()["head"]


async def test_postings_over_http(service, kit, kafka_settings) -> None:
    Home, Office = kit.Home, kit.Office
    adult, child = date(1985, 5, 17), date(2008, 9, 1)
    home = Home("621121100201", [adult, child])
    stranger = Home("621121100202", [adult]).remove()
    async with service([home, stranger]) as client:
        office = await Office(client).setup()
        head_, kid = home.numbers

        # A legal enrolment, then the same posting again: the first answer, once.
        first = await office.post(office.enrolment("E-1", head_), "E-1")
        assert first.status_code == 201, first.text
        assert first.json()["id_number_masked"] == "*" * 14 + head_[-4:]
        again = await office.post(office.enrolment("E-1", head_), "E-1")
        assert (again.status_code, again.json()) == (201, first.json())
        assert again.headers["Idempotent-Replayed"] == "true"
        reused = await office.post(office.enrolment("E-1", head_, on="2016-05-02"), "E-1")
        assert reused.status_code == 422
        assert reused.json()["type"].endswith("idempotency-key-reused")

        # Refusals name the rule and write nothing.
        written = await head(client)
        for body, key, status, rule in [
            (office.enrolment("E-2", kid), "E-2", 422, "working-age"),
            (office.enrolment("E-3", stranger.numbers[0]), "E-3", 422, "household-removed"),
            (office.enrolment("E-4", "110101199003078515"), "E-4", 422, "registered-member"),
            (office.enrolment("E-1", head_), "E-5", 409, None),  # the centre's record exists
            (
                office.certificate(head_, "C-0", "E-1", basis="completion"),
                "C-0",
                422,
                "basis-achieved",
            ),
        ]:
            answer = await office.post(body, key)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            if rule:
                assert answer.json()["rule"] == rule
        # A centre posts for itself only: not another centre, nor the province; not unnamed.
        enrol = office.enrolment("E-6", head_)
        for token, status in [
            (kit.centre_token(str(uuid4())), 403),
            (client.headers["Authorization"], 403),
            ("", 401),
        ]:
            answer = await office.post(enrol, "E-6", token=token)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        assert await head(client) == written

        # Completion → certificate → verification → revocation.
        done = {
            "kind": "completion",
            "centre_id": office.centre_id,
            "enrolment_ref": "E-1",
            "completed_on": "2016-07-31",
        }
        assert (await office.post(done, "E-1-done")).status_code == 201
        above = office.certificate(head_, "C-1", "E-1", level=3, basis="completion")
        assert (await office.post(above, "C-1")).json()["rule"] == "basis-level"
        on_completion = office.certificate(head_, "C-1", "E-1", level=4, basis="completion")
        issued = await office.post(on_completion | {"issued_on": "2016-08-05"}, "C-1b")
        assert issued.status_code == 201, issued.text
        twin = office.certificate(head_, "C-1", "E-1", level=5, basis="completion")
        assert (await office.post(twin, "C-1c")).status_code == 409  # number taken at issuer

        url = f"/v1/certificates/{office.centre_id}/C-1"
        verified = (await client.get(url, params={"as_of": "2016-09-01"})).json()
        assert verified["status"] == "valid" and verified["level"] == 4
        assert verified["holder"] == issued.json()["id_number_masked"]
        assert head_ not in json.dumps(verified)
        revoke = {
            "kind": "revocation",
            "centre_id": office.centre_id,
            "number": "C-1",
            "revoked_on": "2016-10-01",
            "reason": "鉴定成绩作假",
        }
        assert (await office.post(revoke, "R-1")).status_code == 201
        now = (await client.get(url, params={"as_of": "2016-10-02"})).json()
        assert (now["status"], now["revocation_reason"]) == ("revoked", "鉴定成绩作假")
        assert (await client.get(f"/v1/certificates/{office.centre_id}/C-404")).status_code == 404

        # What evaluation will count: the household and the member's keyed hash on the wire.
        records = await read_topic(kafka_settings, Topic.TRAINING, await head(client))
        events = [Envelope.from_json(r.value) for r in records]
        certified = [e for e in events if e.type.startswith("training.certificate.")]
        assert [e.type for e in certified] == [
            "training.certificate.issued.v1",
            "training.certificate.revoked.v1",
        ]
        for event in certified:
            assert event.data["household_id"] == str(home.id)
            assert (
                event.data["id_number_hash"] == home.events[0].data["members"][0]["id_number_hash"]
            )
