"""Village mutual-aid funds (村级互助资金) used the way village and county offices would:
the registry's households arrive through the real broker, offices post contributions,
loans and repayments over HTTP, and the province counts the villages that reach the
500,000-yuan target."""

import csv
import io
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from uuid import uuid4

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import filed_v2
from tuopin_contracts.vocabulary import PovertyCause, Relation
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, envelope, eventually, publish, read_topic
from tuopin_loans.config import LoansSettings
from tuopin_loans.entrypoints.app import app

COUNTY = "621121"
VILLAGE, NEIGHBOUR = COUNTY + "100201", COUNTY + "100202"
TARGET = 50_000_000  # fen: 500,000 yuan per poor village (seed item 13)


def filed(village: str) -> Envelope:
    """A household the registry files in a village, as its event on the registry's topic."""
    household = uuid4()
    head = reg.Member(person_id=uuid4(), name="户主", relation=Relation.HEAD)
    data = filed_v2(household, village, [head], cause=PovertyCause.LACK_OF_FUNDS)
    return envelope(data, household, 1)


@asynccontextmanager
async def loans_service(database_url: str, kafka_settings, *homes: Envelope):
    """The loans service with the registry's filings of these households consumed."""
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.LOANS])
    await publish(kafka_settings, Topic.REGISTRY, *homes)
    settings = LoansSettings(database_url=database_url, kafka=kafka_settings, log_level="WARNING")
    service = app(settings)
    async with client_for(service) as client:

        async def arrived() -> None:
            for home in homes:
                answer = await client.get(f"/v1/borrowers/{home.subject}/eligibility")
                assert answer.json()["status"] == "identified"

        await eventually(arrived)
        yield client, service


def fund(village: str = VILLAGE) -> str:
    return f"/v1/villages/{village}/mutual-aid"


async def written(client) -> tuple[int, dict]:
    """Everything a refused command must leave alone: the event log and the fund."""
    head = (await client.get("/v1/events")).json()["head"]
    return head, (await client.get(fund(), params={"as_of": "2016-06-01"})).json()


async def test_a_village_fund_lends_to_its_own_households_and_counts_fees_back(
    database_url, kafka_settings
) -> None:
    home, other_home, neighbour = filed(VILLAGE), filed(VILLAGE), filed(NEIGHBOUR)
    async with loans_service(database_url, kafka_settings, home, other_home, neighbour) as (
        client,
        service,
    ):
        nothing = await client.post(
            f"{fund()}/loans",
            json={
                "household_id": home.subject,
                "amount": 1,
                "term_months": 1,
                "lent_on": "2016-04-30",
            },
        )
        assert nothing.status_code == 404  # no fund yet

        finance = {"source": "finance", "amount": 45_000_000, "received_on": "2016-05-01"}
        key = {"Idempotency-Key": "county-621121-voucher-0001"}
        first = await client.post(f"{fund()}/contributions", json=finance, headers=key)
        assert first.status_code == 201 and first.json()["balance"] == 45_000_000
        again = await client.post(f"{fund()}/contributions", json=finance, headers=key)
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        shares = {"source": "member_shares", "amount": 2_000_000, "received_on": "2016-05-02"}
        assert (await client.post(f"{fund()}/contributions", json=shares)).status_code == 201
        standing = (await client.get(fund())).json()
        assert standing["contributed_by_source"] == {
            "finance": 45_000_000,
            "member_shares": 2_000_000,
        }
        assert standing["capital"] == 47_000_000 and standing["target_met"] is False

        loan = {
            "household_id": home.subject,
            "amount": 800_000,
            "term_months": 12,
            "lent_on": "2016-05-03",
        }
        lent = await client.post(f"{fund()}/loans", json=loan)
        assert lent.status_code == 201, lent.text
        loan_id = lent.json()["loan_id"]
        assert (
            lent.json()["due_on"] == "2017-05-03" and lent.json()["fund"]["balance"] == 46_200_000
        )

        # Refused, nothing written: a household of the next village, and one over the cap.
        before = await written(client)
        stranger = dict(loan, household_id=neighbour.subject)
        refused = await client.post(f"{fund()}/loans", json=stranger)
        assert refused.status_code == 422 and refused.json()["rules"] == ["member_household"]
        over = dict(loan, household_id=home.subject, amount=200_001)  # 2,000 yuan are left
        refused = await client.post(f"{fund()}/loans", json=over, headers={"Idempotency-Key": "o"})
        assert refused.status_code == 422 and refused.json()["rules"] == ["amount_limit"]
        assert await written(client) == before

        repay = {"principal": 300_000, "received_on": "2016-08-11"}  # held 100 days
        back = await client.post(f"{fund()}/loans/{loan_id}/repayments", json=repay)
        assert back.status_code == 201, back.text
        fee = int(
            (Decimal(300_000 * 100) * Decimal("0.06") / 365).quantize(Decimal(1), ROUND_HALF_UP)
        )
        assert back.json()["repayment"]["fee"] == fee == 4_932
        too_much = await client.post(
            f"{fund()}/loans/{loan_id}/repayments",
            json={"principal": 500_001, "received_on": "2016-08-12"},
        )
        assert too_much.status_code == 422 and "owes" in too_much.json()["detail"]

        standing = (await client.get(fund(), params={"as_of": "2017-06-01"})).json()
        assert standing["balance"] == 47_000_000 - 800_000 + 300_000 + fee
        assert standing["lent"] == 800_000 and standing["outstanding"] == 500_000
        assert standing["households_served"] == 1 and standing["fees"] == fee
        assert (standing["overdue_loans"], standing["overdue_principal"]) == (1, 500_000)
        # The collective's money brings the fund over the target (fee income counts too).
        history_cut = datetime.now(UTC).isoformat()
        collective = {"source": "collective", "amount": 3_000_000, "received_on": "2016-09-01"}
        await client.post(f"{fund()}/contributions", json=collective)
        standing = (await client.get(fund())).json()
        assert standing["capital"] == 50_000_000 + fee and standing["target_met"] is True
        # The book as it stood on a past day, and as it was known before the collective's
        # money was entered (business date 2016-09-01, recorded just now).
        before_repayment = (await client.get(fund(), params={"as_of": "2016-08-10"})).json()
        assert (before_repayment["outstanding"], before_repayment["fees"]) == (800_000, 0)
        assert before_repayment["overdue_loans"] == 0 and before_repayment["lent"] == 800_000
        known = {"as_of": "2017-06-01", "known_at": history_cut}
        assert (await client.get(fund(), params=known)).json()["capital"] == 47_000_000 + fee
        empty = await client.get(fund(), params={"as_of": "2015-12-31"})
        assert empty.status_code == 404 and "as of 2015-12-31" in empty.json()["detail"]

        history = (await client.get(f"{fund()}/history")).json()["events"]
        assert [e["type"].split(".")[2] for e in history] == [
            "contribution_received",
            "contribution_received",
            "loan_granted",
            "repayment_received",
            "contribution_received",
        ]
        published = await read_topic(kafka_settings, Topic.LOANS, len(history))
        assert {Envelope.from_json(r.value).subject for r in published} == {f"mutual-aid-{VILLAGE}"}

        # The ledger rebuilt from the event store is the ledger kept live.
        runtime = service.state.runtime
        await runtime.rebuild(runtime.spec.projection("loans.mutual_aid"))
        assert (await client.get(fund())).json() == standing


async def test_the_province_counts_the_villages_whose_fund_reaches_the_target(
    database_url, kafka_settings
) -> None:
    other_county = "621122"
    villages = [f"{COUNTY}1002{i:02d}" for i in range(8)]
    villages += [f"{other_county}1003{i:02d}" for i in range(4)]
    # Paid in twice (finance, donation): just under, exactly at and over the target too.
    amounts = [10_000_000, 24_999_999, 25_000_000, 30_000_000]
    capital = {v: amounts[i % len(amounts)] for i, v in enumerate(villages)}
    async with loans_service(database_url, kafka_settings) as (client, _):
        for v in villages:
            for source in ("finance", "donation"):
                money = {"source": source, "amount": capital[v], "received_on": "2016-12-01"}
                answer = await client.post(f"{fund(v)}/contributions", json=money)
                assert answer.status_code == 201, answer.text

        mine = [v for v in villages if v.startswith(COUNTY)]
        met = sum(2 * capital[v] >= TARGET for v in mine)
        assert 0 < met < len(mine)  # the generated county has villages on both sides
        county = (await client.get("/v1/mutual-aid", params={"county_code": COUNTY})).json()
        assert (county["funds"], county["meeting_target"]) == (len(mine), met)
        assert county["capital"] == sum(2 * capital[v] for v in mine)
        assert {r["village_code"]: r["shortfall"] for r in county["villages"]} == {
            v: max(TARGET - 2 * capital[v], 0) for v in mine
        }

        province = (await client.get("/v1/mutual-aid")).json()
        assert province["funds"] == len(villages)
        assert province["meeting_target"] == sum(2 * capital[v] >= TARGET for v in villages)

        text = (
            await client.get("/v1/mutual-aid.csv", params={"county_code": COUNTY})
        ).text.removeprefix("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["village_code"] for r in rows] == sorted(mine)
        assert sum(r["target_met"] == "True" for r in rows) == met
