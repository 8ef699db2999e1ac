"""Postings through the inbound topic, end to end through the real broker: the same body,
key and bearer token as over HTTP, counted once however often it arrives and whichever
way; a refused posting (a broken rule, another centre's token, no token) lands on the DLQ
with its reason and problem, and nothing is written."""

import json
from datetime import date
from uuid import uuid4

from tuopin_contracts.topics import Inbound
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.testing import eventually, read_topic


async def send(settings, *postings: tuple[dict, str, str | None]) -> None:
    """(body, the centre's record id, the authorization header or None) on the topic."""
    producer = kafka.producer(settings)
    await producer.start()
    try:
        for body, key, authorization in postings:
            headers = [("idempotency-key", key.encode())]
            if authorization is not None:
                headers.append(("authorization", authorization.encode()))
            await producer.send_and_wait(
                Inbound.CENTRE_POSTINGS,
                json.dumps(body).encode(),
                key=key.encode(),
                headers=headers,
            )
    finally:
        await producer.stop()


async def test_centre_postings_through_the_inbound_topic(service, kit, kafka_settings) -> None:
    home = kit.Home("621121100201", [date(1985, 5, 17), date(1990, 1, 2), date(2008, 9, 1)])
    async with service([home]) as client:
        office = await kit.Office(client).setup()
        adult, spouse, child = home.numbers
        enrol = office.enrolment("K-1", adult)
        mine, other = kit.centre_token(office.centre_id), kit.centre_token(str(uuid4()))
        await send(
            kafka_settings,
            (enrol, "K-1", mine),
            (enrol, "K-1", mine),  # redelivered
            (office.enrolment("K-2", child), "K-2", mine),  # too young: refused
            (office.enrolment("K-4", spouse), "K-4", other),  # another centre's token
            (office.enrolment("K-5", spouse), "K-5", None),  # no token
            (office.enrolment("K-3", spouse), "K-3", mine),
        )

        async def applied() -> None:
            seats = await client.get(f"/v1/programmes/{office.programme_id}")
            assert seats.json()["seats_taken"] == 2

        await eventually(applied)
        # The same posting by HTTP too: the first answer, nothing new.
        by_http = await office.post(enrol, "K-1")
        assert (by_http.status_code, by_http.headers["Idempotent-Replayed"]) == (201, "true")
        assert by_http.json()["enrolment_ref"] == "K-1"

        dead = await read_topic(kafka_settings, Inbound.CENTRE_POSTINGS.dlq, 3)
        by_ref = {json.loads(d.value)["enrolment_ref"]: d for d in dead}
        assert sorted(by_ref) == ["K-2", "K-4", "K-5"]
        headers = {k: v.decode() for k, v in by_ref["K-2"].headers}
        problem = json.loads(headers["problem"])
        assert (problem["status"], problem["rule"]) == (422, "working-age")
        assert "working-age" in headers["error"]
        refusals = [json.loads(dict(by_ref[ref].headers)["problem"]) for ref in ("K-4", "K-5")]
        assert [(p["status"], p["type"].rsplit("/", 1)[-1]) for p in refusals] == [
            (403, "forbidden"),
            (401, "unauthenticated"),
        ]

        events = (await client.get("/v1/events")).json()["items"]
        enrolled = [
            e["event"]["data"]["enrolment_ref"]
            for e in events
            if e["event"]["type"] == "training.enrolment.enrolled.v1"
        ]
        assert sorted(enrolled) == ["K-1", "K-3"]


async def test_a_refused_posting_reaches_the_dlq_without_its_credentials(
    service, kit, kafka_settings
) -> None:
    """A centre's still-valid token must not be copied onto the DLQ, which is kept and read
    long after; why it was refused is all there."""
    async with service([]):
        token = kit.centre_token(str(uuid4()))
        producer = kafka.producer(kafka_settings)
        await producer.start()
        try:
            await producer.send_and_wait(
                Inbound.CENTRE_POSTINGS,
                b'{"kind": "enrolment", not json',
                key=b"K-9",
                headers=[
                    ("idempotency-key", b"K-9"),
                    ("authorization", token.encode()),
                    ("Proxy-Authorization", b"Basic c2VjcmV0"),
                    ("cookie", b"s=1"),
                    ("x-api-key", b"k"),
                    ("correlation-id", b"c-9"),
                ],
            )
        finally:
            await producer.stop()

        [dead] = await read_topic(kafka_settings, Inbound.CENTRE_POSTINGS.dlq, 1)
        names = [name.lower() for name, _ in dead.headers]
        assert not {"authorization", "proxy-authorization", "cookie", "x-api-key"} & set(names)
        headers = {name: value.decode() for name, value in dead.headers}
        assert headers["idempotency-key"] == "K-9" and headers["correlation-id"] == "c-9"
        assert json.loads(headers["problem"])["title"] == "Invalid request"
        assert headers["error"] and headers["consumer"] == "training.intake"
        assert headers["origin"].startswith(f"{Inbound.CENTRE_POSTINGS}/")
        assert token.split()[-1] not in repr(dead)  # nowhere, not even in the reason
