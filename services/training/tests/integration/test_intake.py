"""Postings through the inbound topic, end to end through the real broker: the same body
and key as over HTTP, counted once however often it arrives and whichever way; a refused
posting lands on the DLQ with its reason and problem, and nothing is written."""

import json
from datetime import date

from tuopin_contracts.topics import Inbound
from tuopin_eventkit import kafka
from tuopin_eventkit.testing import eventually, read_topic


async def send(settings, *postings: tuple[dict, str]) -> None:
    producer = kafka.producer(settings)
    await producer.start()
    try:
        for body, key in postings:
            await producer.send_and_wait(
                Inbound.CENTRE_POSTINGS, json.dumps(body).encode(), key=key.encode(),
                headers=[("idempotency-key", key.encode())],
            )  # fmt: skip
    finally:
        await producer.stop()


async def test_centre_postings_through_the_inbound_topic(service, kit, kafka_settings) -> None:
    home = kit.Home("621121100201", [date(1985, 5, 17), date(1990, 1, 2), date(2008, 9, 1)])
    async with service([home]) as client:
        office = await kit.Office(client).setup()
        adult, spouse, child = home.numbers
        enrol = office.enrolment("K-1", adult)
        await send(
            kafka_settings,
            (enrol, "K-1"),
            (enrol, "K-1"),  # redelivered
            (office.enrolment("K-2", child), "K-2"),  # too young: refused
            (office.enrolment("K-3", spouse), "K-3"),
        )

        async def applied() -> None:
            seats = await client.get(f"/v1/programmes/{office.programme_id}")
            assert seats.json()["seats_taken"] == 2

        await eventually(applied)
        # The same posting by HTTP too: the first answer, nothing new.
        by_http = await office.post(enrol, "K-1")
        assert (by_http.status_code, by_http.headers["Idempotent-Replayed"]) == (201, "true")
        assert by_http.json()["enrolment_ref"] == "K-1"

        (dead,) = await read_topic(kafka_settings, Inbound.CENTRE_POSTINGS.dlq, 1)
        headers = {k: v.decode() for k, v in dead.headers}
        problem = json.loads(headers["problem"])
        assert (problem["status"], problem["rule"]) == (422, "working-age")
        assert "working-age" in headers["error"]
        assert json.loads(dead.value)["enrolment_ref"] == "K-2"

        events = (await client.get("/v1/events")).json()["items"]
        enrolled = [e["event"]["data"]["enrolment_ref"] for e in events
                    if e["event"]["type"] == "training.enrolment.enrolled.v1"]  # fmt: skip
        assert sorted(enrolled) == ["K-1", "K-3"]
