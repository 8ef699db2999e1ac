"""Banks and offices using the loans service the way they would: the registry's events
arrive through the real broker, banks post over HTTP and through the inbound topic,
offices allocate quotas, fund the risk funds and settle the subsidy.

The households are built here with members whose resident ID numbers the tests know
(banks send the clear number; loans hashes it with the shared key)."""

import asyncio
import json
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import count
from uuid import uuid4

from tuopin_contracts import Envelope, Topic
from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import filed_v2
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    PovertyCause,
    Relation,
    Schooling,
)
from tuopin_eventkit import testing
from tuopin_eventkit.matrix import Matrix, Scope
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.settings import ServiceSettings
from tuopin_eventkit.testing import bearer, client_for, envelope, eventually, publish, read_topic
from tuopin_loans.config import LoansSettings
from tuopin_loans.entrypoints.app import app, spec

KEYS = IdentityKeys(ServiceSettings.model_fields["identity_key"].default.get_secret_value())
COUNTY = "621121"
_serial = count(1)


def born_on(birth: date) -> str:
    return testing.resident_id(birth, next(_serial) % 999)


class Household:
    """A filed household: an adult head, a spouse, a student at university and a pupil
    at senior-secondary school (高中)."""

    def __init__(self, county: str = COUNTY, identified: date = date(2016, 4, 1)) -> None:
        self.id = uuid4()
        self.head = born_on(date(1975, 3, 1))
        self.spouse = born_on(date(1978, 6, 1))
        self.student = born_on(date(1998, 9, 1))
        self.pupil = born_on(date(2001, 3, 1))
        self.events: list[Envelope] = []
        people = [
            (self.head, Relation.HEAD, date(1975, 3, 1), None),
            (self.spouse, Relation.SPOUSE, date(1978, 6, 1), None),
            (self.student, Relation.CHILD, date(1998, 9, 1), Schooling.TERTIARY),
            (self.pupil, Relation.CHILD, date(2001, 3, 1), Schooling.SENIOR_SECONDARY),
        ]
        members = [
            reg.Member(
                person_id=uuid4(),
                name=f"成员{i}",
                relation=relation,
                birth_date=birth,
                schooling=schooling,
                id_number_hash=KEYS.resident(number).hash,
                id_number_masked=KEYS.resident(number).masked,
            )
            for i, (number, relation, birth, schooling) in enumerate(people)
        ]
        self._add(
            filed_v2(
                self.id, county + "100201", members, on=identified, cause=PovertyCause.LACK_OF_FUNDS
            )
        )

    def _add(self, data: reg.HouseholdFact) -> None:
        self.events.append(envelope(data, data.household_id, len(self.events) + 1))

    def relocating(self) -> "Household":
        self._add(
            reg.RelocationRecordedV1(
                household_id=self.id,
                effective_date=date(2016, 4, 2),
                relocating=True,
                resettlement_site="新村",
            )
        )
        return self

    def exited(self, on: date) -> "Household":
        self._add(
            reg.HouseholdExitedV1(
                household_id=self.id,
                effective_date=on,
                status=HouseholdStatus.EXITED,
                verification_id=uuid4(),
            )
        )
        return self

    def returned(self, on: date) -> "Household":
        self._add(
            reg.ReturnedToPovertyV1(
                household_id=self.id,
                effective_date=on,
                status=HouseholdStatus.RETURNED,
                cause=PovertyCause.ILLNESS,
            )
        )
        return self


def approval(home: Household, ref: str, amount: int = 5_000_000, **more: object) -> dict:
    return {
        "kind": "approved",
        "bank_id": more.pop("bank_id", "gansu-rcc"),
        "loan_ref": ref,
        "product": more.pop("product", "microcredit"),
        "household_id": str(home.id),
        "borrower_id_number": more.pop("borrower", home.head),
        "amount": amount,
        "term_months": 36,
        "decided_on": more.pop("decided_on", "2016-05-03"),
        **more,
    }


def step(kind: str, ref: str, bank: str = "gansu-rcc", **fields: object) -> dict:
    return {"kind": kind, "bank_id": bank, "loan_ref": ref, **fields}


@asynccontextmanager
async def loans_service(database_url: str, kafka_settings, *homes: Household):
    """The loans service with the registry's events for these households consumed."""
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.LOANS, Inbound.BANK_POSTINGS])
    await publish(kafka_settings, Topic.REGISTRY, *(e for h in homes for e in h.events))
    settings = LoansSettings(database_url=database_url, kafka=kafka_settings, log_level="WARNING")
    service = app(settings)
    async with client_for(service) as client:

        async def arrived() -> None:
            for home in homes:
                answer = await client.get(
                    f"/v1/borrowers/{home.id}/eligibility", params={"as_of": "2018-12-31"}
                )
                assert answer.json()["status"] == home.events[-1].data.get("status", "identified")

        await eventually(arrived)
        quota = {"amount": 100_000_000, "allocated_on": "2016-04-01"}
        assert (await client.put(f"/v1/programme/quotas/{COUNTY}", json=quota)).status_code == 200
        yield client, service


def bank_token(bank_id: str) -> str:
    """The bank's service-account token (embedded mode signs with the local key)."""
    return bearer(AuthSettings(), Principal(bank_id, Role.BANK, org=bank_id))["Authorization"]


async def posted(client, body: dict, key: str | None = None):
    headers = {"Idempotency-Key": key or str(uuid4()), "Authorization": bank_token(body["bank_id"])}
    return await client.post("/v1/bank-postings", json=body, headers=headers)


async def test_a_bank_posts_a_loans_life_and_impossible_postings_write_nothing(
    database_url, kafka_settings
) -> None:
    home, gone = Household(), Household().exited(date(2016, 4, 20))
    async with loans_service(database_url, kafka_settings, home, gone) as (client, _):
        # Eligibility: an exited household and a minor borrower are refused, rules named.
        refused = await posted(client, approval(gone, "R-0", decided_on="2016-05-03"))
        assert refused.status_code == 422
        assert refused.json()["rules"] == ["poor_on_application_date"]
        minor = await posted(client, approval(home, "R-0", borrower=home.student))
        assert minor.json()["rules"] == ["borrower_age"]
        assert (await client.get("/v1/banks/gansu-rcc/loans/R-0")).status_code == 404

        first = await posted(client, approval(home, "R-1"), key="rcc-0001")
        assert first.status_code == 201 and first.json()["state"] == "approved"
        again = await posted(client, approval(home, "R-1"), key="rcc-0001")
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        reused = await posted(client, approval(home, "R-1", amount=1), key="rcc-0001")
        assert reused.status_code == 422 and "reused" in reused.json()["title"]
        # 50,000 yuan per household: a second loan has nothing left.
        over = await posted(client, approval(home, "R-2", amount=100))
        assert over.json()["rules"] == ["amount_limit"]

        early = await posted(
            client, step("repaid", "R-1", principal=100, interest=0, received_on="2016-05-04")
        )
        assert early.status_code == 409 and early.json()["current_state"] == "approved"
        signed = await posted(
            client, step("signed", "R-1", amount=5_000_000, term_months=36, signed_on="2016-05-04")
        )
        assert signed.json()["annual_rate"] == "0.0475"
        await posted(client, step("disbursed", "R-1", amount=5_000_000, disbursed_on="2016-05-05"))
        before = (await client.get("/v1/banks/gansu-rcc/loans/R-1")).json()
        too_much = await posted(
            client, step("repaid", "R-1", principal=5_000_001, interest=0, received_on="2016-08-20")
        )
        assert too_much.status_code == 422 and "exceeds" in too_much.json()["detail"]
        backdated = await posted(
            client, step("repaid", "R-1", principal=1, interest=0, received_on="2016-05-01")
        )
        assert backdated.status_code == 422
        assert (await client.get("/v1/banks/gansu-rcc/loans/R-1")).json() == before

        # Another bank naming the same loan number reaches nothing of gansu-rcc's.
        stranger = await posted(
            client, step("disbursed", "R-1", bank="other-bank", amount=1, disbursed_on="2016-06-01")
        )
        assert stranger.status_code == 404
        assert (await client.get("/v1/banks/other-bank/loans")).json() == []
        # The bank's book shows the masked number, never the service's keyed hash of it.
        [booked] = (await client.get("/v1/banks/gansu-rcc/loans")).json()
        assert booked["loan_ref"] == "R-1" and booked["borrower_masked"]
        assert "borrower_hash" not in booked

        repaid = await posted(
            client,
            step("repaid", "R-1", principal=1_000_000, interest=59_375, received_on="2016-08-20"),
        )
        assert repaid.json()["outstanding"] == 4_000_000
        history = (await client.get("/v1/banks/gansu-rcc/loans/R-1/history")).json()["events"]
        assert [e["type"].split(".")[2] for e in history] == [
            "approved",
            "contract_signed",
            "disbursed",
            "repayment_received",
        ]

        # What evaluation needs (credit reached per household) goes out on the loans topic.
        head = (await client.get("/v1/events")).json()["head"]
        records = await read_topic(kafka_settings, Topic.LOANS, head)
        disbursed = [Envelope.from_json(r.value) for r in records]
        disbursed = [e for e in disbursed if e.type == "loans.loan.disbursed.v1"]
        assert disbursed[0].data["household_id"] == str(home.id)


async def test_a_student_loan_is_8000_yuan_per_student_and_academic_year_across_banks(
    database_url, kafka_settings
) -> None:
    """Seed 9(1): 对贫困家庭本科、高职(专科)学生每生每学年解决8000元以内生源地信用助学贴息贷款.
    The cap is the student's (the ID number's keyed hash) for the academic year, 1 September
    to 31 August, however many loans and banks it is split over; a 高中 pupil gets none.
    Each loan names the school year it pays for: one approved in August is for the year
    that starts in September, not the one ending."""
    home = Household()

    def student_loan(
        ref: str,
        amount: int,
        on: str,
        bank: str = "gansu-rcc",
        who: str = "",
        year: int | None = None,
    ):
        return approval(
            home,
            ref,
            amount,
            product="student",
            borrower=who or home.student,
            decided_on=on,
            bank_id=bank,
            academic_year=year or int(on[:4]) - (on[5:7] < "09"),
        )

    async with loans_service(database_url, kafka_settings, home) as (client, _):
        first = await posted(client, student_loan("ST-1", 500_000, "2016-09-05"))
        assert first.status_code == 201, first.text
        rest = await posted(client, student_loan("ST-2", 300_000, "2017-03-01", bank="psbc"))
        assert rest.status_code == 201, rest.text
        over = await posted(client, student_loan("ST-3", 1, "2017-08-31", bank="abc"))
        assert over.status_code == 422
        problem = over.json()
        assert problem["rules"] == ["student_year_limit"]
        assert "academic year 2016-09-01 – 2017-08-31" in problem["detail"]
        # Approved in August 2017 for 2017–18: that year's own 8,000 yuan.
        ahead = student_loan("ST-3", 800_000, "2017-08-20", bank="abc", year=2017)
        assert (next_year := await posted(client, ahead)).status_code == 201, next_year.text
        unnamed = student_loan("ST-7", 100_000, "2018-09-03")
        del unnamed["academic_year"]
        assert (await posted(client, unnamed)).json()["rules"] == ["academic_year"]
        named = (await client.get("/v1/banks/abc/loans/ST-3/history")).json()["events"][0]
        assert named["data"]["academic_year"] == 2017

        pupil = await posted(client, student_loan("ST-4", 100_000, "2016-09-05", who=home.pupil))
        assert pupil.status_code == 422 and pupil.json()["rules"] == ["student_level"]

        # Two banks approving the same student at the same moment: the second is decided
        # after the first is counted, so the year's cap holds (one of them is refused).
        both = await asyncio.gather(
            posted(client, student_loan("ST-5", 500_000, "2018-09-03", bank="ccb")),
            posted(client, student_loan("ST-6", 500_000, "2018-09-03", bank="boc")),
        )
        assert sorted(answer.status_code for answer in both) == [201, 422]


async def test_eligibility_is_judged_on_the_decision_date_however_late_the_county_recorded(
    database_url, kafka_settings
) -> None:
    """A 2016 exit recorded later, a household identified in 2017 entered later, a return
    to poverty: each application is judged by the household on its own decision date."""
    before = datetime.now(UTC)
    gone = Household().exited(date(2016, 11, 8))
    late = Household(identified=date(2017, 3, 1))
    back = Household().exited(date(2016, 11, 8)).returned(date(2017, 6, 1))
    async with loans_service(database_url, kafka_settings, gone, late, back) as (client, _):
        refused = await posted(client, approval(gone, "T-1", decided_on="2017-01-10"))
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["rules"] == ["poor_on_application_date"]
        assert problem["decided_on"] == "2017-01-10"
        assert "on 2017-01-10 the household is exited (since 2016-11-08)" in problem["detail"]
        assert (
            await posted(client, approval(gone, "T-1", decided_on="2016-11-07"))
        ).status_code == 201

        early = await posted(client, approval(late, "T-2", decided_on="2017-01-10"))
        assert early.json()["rules"] == ["registered_household"]
        assert "identified from 2017-03-01" in early.json()["detail"]
        assert (
            await posted(client, approval(late, "T-2", decided_on="2017-03-01"))
        ).status_code == 201

        still_out = await posted(client, approval(back, "T-3", decided_on="2017-05-31"))
        assert still_out.json()["rules"] == ["poor_on_application_date"]
        assert (
            await posted(client, approval(back, "T-3", decided_on="2017-06-01"))
        ).status_code == 201

        # The office's view answers the same business-date question, and the audit view
        # what loans knew at an instant: before the registry's events, nothing.
        def standing(home: Household, **params: str):
            url = f"/v1/borrowers/{home.id}/eligibility"
            return client.get(url, params=params)

        on_day = (await standing(gone, as_of="2016-12-01")).json()
        assert on_day["status"] == "exited" and on_day["status_since"] == "2016-11-08"
        assert not on_day["eligible"]
        assert (await standing(back, as_of="2017-06-01")).json()["status"] == "returned"
        assert (await standing(late, as_of="2017-02-28")).json()["status"] is None
        unknown = (await standing(late, as_of="2017-06-01", known_at=before.isoformat())).json()
        assert unknown["status"] is None and not unknown["eligible"]


async def test_postings_through_the_inbound_topic_count_once_and_refusals_reach_the_dlq(
    database_url, kafka_settings
) -> None:
    home = Household().relocating()
    async with loans_service(database_url, kafka_settings, home) as (client, _):
        loan = approval(home, "M-1", product="relocation", term_months=60)
        sign = step("signed", "M-1", amount=5_000_000, term_months=60, signed_on="2016-05-04")
        topic = Inbound.BANK_POSTINGS
        RCC = bank_token("gansu-rcc")
        await publish(
            kafka_settings,
            topic,
            json.dumps(loan).encode(),
            headers={"idempotency-key": "t-1", "authorization": RCC},
        )
        # The same posting again over HTTP with the same key: the first answer, no new loan.
        assert (await eventually(lambda: _state(client, "M-1"))) == "approved"
        replay = await posted(client, loan, key="t-1")
        assert replay.headers["Idempotent-Replayed"] == "true"
        await publish(
            kafka_settings,
            topic,
            json.dumps(sign).encode(),
            headers={"idempotency-key": "t-2", "authorization": RCC},
        )
        await publish(
            kafka_settings,
            topic,
            b"{not json",
            headers={"idempotency-key": "t-3", "authorization": RCC},
        )
        too_much = step("disbursed", "M-1", amount=9_000_000, disbursed_on="2016-05-05")
        await publish(
            kafka_settings,
            topic,
            json.dumps(too_much).encode(),
            headers={"idempotency-key": "t-4", "authorization": RCC},
        )
        await publish(kafka_settings, topic, json.dumps(sign).encode())  # no key
        # Another bank's token cannot post for gansu-rcc; no token cannot post at all.
        other = bank_token("other-bank")
        await publish(
            kafka_settings,
            topic,
            json.dumps(sign).encode(),
            headers={"idempotency-key": "t-5", "authorization": other},
        )
        await publish(
            kafka_settings, topic, json.dumps(sign).encode(), headers={"idempotency-key": "t-6"}
        )

        dead = await read_topic(kafka_settings, topic.dlq, 5)
        headers = [dict(r.headers) for r in dead]
        reasons = {
            h.get("idempotency-key", b"").decode(): json.loads(h["problem"]) for h in headers
        }
        assert reasons["t-3"]["title"] == "Invalid request"
        assert reasons["t-4"]["type"].endswith("rule-violation")
        assert reasons[""]["title"] == "Missing idempotency key"
        assert reasons["t-5"]["status"] == 403 and reasons["t-6"]["status"] == 401
        loan_now = (await client.get("/v1/banks/gansu-rcc/loans/M-1")).json()
        assert loan_now["state"] == "signed" and loan_now["disbursed"] == 0
        assert loan_now["subsidy_until"] == "2019-05-03"  # 3 years of subsidy, not 5


async def _state(client, ref: str) -> str:
    answer = await client.get(f"/v1/banks/gansu-rcc/loans/{ref}")
    assert answer.status_code == 200
    return answer.json()["state"]


async def test_settlement_recomputed_by_replay_equals_the_issued_one_and_funds_pay_in_order(
    database_url, kafka_settings
) -> None:
    homes = [Household() for _ in range(3)]
    async with loans_service(database_url, kafka_settings, *homes) as (client, service):
        for i, home in enumerate(homes):
            ref = f"S-{i}"
            await posted(client, approval(home, ref, amount=3_000_000 + i * 500_000))
            await posted(
                client,
                step(
                    "signed",
                    ref,
                    amount=3_000_000 + i * 500_000,
                    term_months=36,
                    signed_on="2016-05-04",
                ),
            )
            await posted(
                client,
                step("disbursed", ref, amount=3_000_000 + i * 500_000, disbursed_on="2016-05-05"),
            )
        await posted(
            client, step("repaid", "S-1", principal=1_000_000, interest=0, received_on="2016-06-01")
        )
        not_yet = await client.post(
            "/v1/subsidy/2016Q2/statements", json={"issued_on": "2016-06-30"}
        )
        assert not_yet.status_code == 422
        issued = await client.post(
            "/v1/subsidy/2016Q2/statements", json={"issued_on": "2016-07-05"}
        )
        assert issued.status_code == 201
        (statement,) = issued.json()["statements"]
        # Independently: 57 days (5 May – 30 June) of 3.0 + 4.0 million fen, and 27 of
        # 3.5 million then 30 of 2.5 million, at 4.75 % / 360, rounded per loan.
        expected = sum(
            int((Decimal(fen_days) * Decimal("0.0475") / 360).quantize(Decimal(1), ROUND_HALF_UP))
            for fen_days in (57 * 3_000_000, 27 * 3_500_000 + 30 * 2_500_000, 57 * 4_000_000)
        )
        assert statement["amount"] == expected and statement["loans"] == 3
        twice = await client.post("/v1/subsidy/2016Q2/statements", json={"issued_on": "2016-07-06"})
        assert twice.status_code == 409

        runtime = service.state.runtime
        await runtime.rebuild(runtime.spec.projection("loans.loan_book"))
        replayed = (await client.get("/v1/subsidy/2016Q2/preview")).json()
        assert [(r["bank_id"], r["county_code"], r["loans"], r["amount"]) for r in replayed] == [
            (
                statement["bank_id"],
                statement["county_code"],
                statement["loans"],
                statement["amount"],
            )
        ]
        listed = (await client.get("/v1/subsidy/2016Q2/statements")).json()
        assert [s["amount"] for s in listed] == [expected]
        pay = await client.post(
            f"/v1/subsidy/statements/{statement['statement_id']}/payment",
            json={"paid_on": "2016-07-20"},
        )
        assert pay.status_code == 200

        # Two defaults; the county fund holds enough for one claim: the second waits.
        fund = f"/v1/funds/county-{COUNTY}"
        money = {"contributor": "finance", "amount": 2_500_000, "received_on": "2017-01-01"}
        await client.post(f"{fund}/contributions", json=money)
        for ref in ("S-0", "S-2"):
            await posted(client, step("defaulted", ref, defaulted_on="2017-06-01"))
            claim = await posted(client, step("claim", ref, lodged_on="2017-06-02"))
            assert claim.status_code == 201, claim.text
        state = (await client.get(fund)).json()
        assert state["balance"] == 2_500_000 - 2_100_000  # 70 % of 3,000,000
        assert [c["claimed"] for c in state["claims_waiting"]] == [2_800_000]  # 70 % of 4,000,000
        money = {"contributor": "bank:gansu-rcc", "amount": 3_000_000, "received_on": "2017-07-01"}
        await client.post(f"{fund}/contributions", json=money)
        state = (await client.get(fund)).json()
        assert state["claims_waiting"] == [] and state["balance"] == 400_000 + 3_000_000 - 2_800_000
        # A recovery after compensation returns the fund's 70 %.
        await posted(
            client, step("repaid", "S-0", principal=1_000_000, interest=0, received_on="2017-08-01")
        )
        assert (await client.get(fund)).json()["balance"] == 600_000 + 700_000

        report = {r["county"]: r for r in (await client.get("/v1/reports/portfolio")).json()}[
            COUNTY
        ]
        assert report["disbursed"] == 10_500_000 and report["outstanding"] == 8_500_000
        assert report["npl_ratio"] == "0.7059"  # 2,000,000 + 4,000,000 of 8,500,000 defaulted
        assert report["compensation_paid"] == 4_900_000 and report["subsidy_paid"] == expected
        csv_text = (await client.get("/v1/reports/portfolio.csv", params={"group": "bank"})).text
        assert csv_text.startswith("\ufeff")  # spreadsheets read the UTF-8 right
        assert csv_text[1:].splitlines()[0].startswith("bank,loans_disbursed,disbursed")


async def test_a_repayment_posted_late_counts_in_its_own_period_and_known_at_shows_the_old_view(
    database_url, kafka_settings
) -> None:
    """The subsidy and the portfolio as of a day go by the date the money moved; the
    portfolio as known at an instant shows only what had been posted by then."""
    home = Household()
    async with loans_service(database_url, kafka_settings, home) as (client, service):
        await posted(client, approval(home, "L-1"))
        await posted(
            client, step("signed", "L-1", amount=5_000_000, term_months=36, signed_on="2016-05-04")
        )
        await posted(client, step("disbursed", "L-1", amount=5_000_000, disbursed_on="2016-05-05"))
        cut = datetime.now(UTC)

        def subsidy(fen_days: int) -> int:
            exact = Decimal(fen_days) * Decimal("0.0475") / 360
            return int(exact.quantize(Decimal(1), ROUND_HALF_UP))

        async def q3() -> int:
            (line,) = (await client.get("/v1/subsidy/2016Q3/preview")).json()
            return line["amount"]

        assert await q3() == subsidy(92 * 5_000_000)
        # Long after the quarter, the bank posts a repayment received on 20 August.
        late = await posted(
            client, step("repaid", "L-1", principal=1_000_000, interest=0, received_on="2016-08-20")
        )
        assert late.status_code == 200
        assert await q3() == subsidy(50 * 5_000_000 + 42 * 4_000_000)

        async def outstanding(**params: str) -> int:
            report = "/v1/reports/portfolio"
            rows = (await client.get(report, params={"group": "bank", **params})).json()
            return sum(r["outstanding"] for r in rows)

        assert await outstanding() == 4_000_000
        assert await outstanding(known_at=cut.isoformat()) == 5_000_000
        assert await outstanding(as_of="2016-08-19") == 5_000_000
        assert await outstanding(as_of="2016-08-20") == 4_000_000
        assert await outstanding(as_of="2016-05-04") == 0  # signed, not yet disbursed
        then = {"as_of": "2016-09-30", "known_at": cut.isoformat()}
        assert await outstanding(**then) == 5_000_000
        # Rebuilt from the event store, the history keeps the same recording instants.
        runtime = service.state.runtime
        await runtime.rebuild(runtime.spec.projection("loans.loan_book"))
        assert await outstanding(known_at=cut.isoformat()) == 5_000_000
        assert await outstanding() == 4_000_000


async def test_written_off_principal_leaves_outstanding_and_the_ratios_as_of_its_date(
    database_url, kafka_settings
) -> None:
    """Seed 13 (风险补偿基金 … 损失给予补偿): a loss written off is off the books. After default
    and write-off, outstanding, NPL and PAR30 exclude the written-off principal — not 10,000
    yuan outstanding with NPL 0 — and it is reported as written off, and what comes back
    after as recovered; as of a day before the write-off the loan is still non-performing."""
    good, bad = Household(), Household()
    async with loans_service(database_url, kafka_settings, good, bad) as (client, _):
        for home, ref in ((good, "W-1"), (bad, "W-2")):
            await posted(client, approval(home, ref, amount=1_000_000))
            await posted(
                client,
                step("signed", ref, amount=1_000_000, term_months=36, signed_on="2016-05-04"),
            )
            await posted(
                client, step("disbursed", ref, amount=1_000_000, disbursed_on="2016-05-05")
            )
        for kind, fields in (
            ("overdue", {"days_past_due": 45, "as_of": "2016-09-01"}),
            ("defaulted", {"defaulted_on": "2016-12-01"}),
        ):
            assert (await posted(client, step(kind, "W-2", **fields))).status_code == 200
        before = datetime.now(UTC)
        for kind, fields in (
            ("written_off", {"written_off_on": "2017-06-30"}),
            ("repaid", {"principal": 200_000, "interest": 0, "received_on": "2017-09-01"}),
        ):
            assert (await posted(client, step(kind, "W-2", **fields))).status_code == 200

        async def report(**params: str) -> dict:
            rows = (await client.get("/v1/reports/portfolio", params=params)).json()
            (row,) = rows
            keys = (
                "outstanding",
                "par30",
                "non_performing",
                "written_off",
                "recovered_after_write_off",
                "par30_ratio",
                "npl_ratio",
            )
            # One county: the province's total line says the same, ratios and all.
            total = "/v1/reports/portfolio"
            (line,) = (await client.get(total, params={**params, "group": "total"})).json()
            assert {k: line[k] for k in keys} == {k: row[k] for k in keys}
            return {k: row[k] for k in keys}

        overdue = await report(as_of="2016-10-01")
        assert overdue["par30_ratio"] == "0.5000" and overdue["npl_ratio"] == "0.0000"
        assert await report(as_of="2017-06-29") == {
            "outstanding": 2_000_000,
            "par30": 1_000_000,
            "non_performing": 1_000_000,
            "written_off": 0,
            "recovered_after_write_off": 0,
            "par30_ratio": "0.5000",
            "npl_ratio": "0.5000",
        }
        written_off = {
            "outstanding": 1_000_000,
            "par30": 0,
            "non_performing": 0,
            "written_off": 1_000_000,
            "recovered_after_write_off": 0,
            "par30_ratio": "0.0000",
            "npl_ratio": "0.0000",
        }
        assert await report(as_of="2017-06-30") == written_off
        assert await report() == {**written_off, "recovered_after_write_off": 200_000}
        # As known before the bank posted the write-off: still defaulted on the books.
        known = await report(known_at=before.isoformat())
        assert known["outstanding"] == 2_000_000 and known["npl_ratio"] == "0.5000"


async def test_a_county_officer_reads_their_own_countys_loans_and_funds_and_no_other(
    database_url, kafka_settings
) -> None:
    """Seed 19: 强化县级主体责任 … 责任、权力、资金、任务"四到县" — the county office answers
    for its loans and funds, so it reads its own county's portfolio, risk fund, subsidy
    statements and village mutual-aid funds (403 for a neighbour's, and for the province's
    whole view); the province reads every county."""
    home, neighbour = Household(), Household(county="621122")
    async with loans_service(database_url, kafka_settings, home, neighbour) as (client, _):
        quota = {"amount": 100_000_000, "allocated_on": "2016-04-01"}
        assert (await client.put("/v1/programme/quotas/621122", json=quota)).status_code == 200
        for house, ref, amount in ((home, "C-1", 1_000_000), (neighbour, "C-2", 3_000_000)):
            await posted(client, approval(house, ref, amount=amount))
            await posted(
                client, step("signed", ref, amount=amount, term_months=36, signed_on="2016-05-04")
            )
            disbursed = await posted(
                client, step("disbursed", ref, amount=amount, disbursed_on="2016-05-05")
            )
            assert disbursed.status_code == 200, disbursed.text
            money = {"contributor": "finance", "amount": amount, "received_on": "2016-06-01"}
            fund = f"/v1/funds/county-{house.events[0].data['county_code']}/contributions"
            assert (await client.post(fund, json=money)).status_code == 201
        statements = await client.post(
            "/v1/subsidy/2016Q2/statements", json={"issued_on": "2016-07-05"}
        )
        assert statements.status_code == 201
        village = {"source": "finance", "amount": 10_000_000, "received_on": "2016-05-01"}
        contributed = await client.post(
            f"/v1/villages/{COUNTY}100201/mutual-aid/contributions", json=village
        )
        assert contributed.status_code == 201
        province = (await client.get("/v1/reports/portfolio")).json()
        assert [r["county"] for r in province] == [COUNTY, "621122"]
        # The total: one line for the province, its ratios loans' own (the dashboard's).
        (total,) = (await client.get("/v1/reports/portfolio", params={"group": "total"})).json()
        assert total["total"] == "620000" and total["loans_disbursed"] == 2
        for key in ("disbursed", "outstanding", "subsidy_issued", "written_off"):
            assert total[key] == sum(r[key] for r in province), key
        assert total["outstanding"] == 4_000_000 and total["npl_ratio"] == "0.0000"

        officer = bearer(
            AuthSettings(), Principal("county-office", Role.COUNTY_OFFICER, region=COUNTY)
        )

        async def read(url: str, county: str | None = COUNTY, **params: str):
            if county:
                params["county_code"] = county
            return await client.get(url, params=params, headers=officer)

        own = (await read("/v1/reports/portfolio", group="bank")).json()
        assert [(r["bank"], r["outstanding"]) for r in own] == [("gansu-rcc", 1_000_000)]
        (total,) = (await read("/v1/reports/portfolio", group="total")).json()
        assert (total["total"], total["outstanding"]) == (COUNTY, 1_000_000)
        assert total["subsidy_issued"] == own[0]["subsidy_issued"]
        (nothing,) = (await read("/v1/reports/portfolio", group="total", as_of="2016-01-01")).json()
        assert nothing["total"] == COUNTY and nothing["disbursed"] == nothing["outstanding"] == 0
        assert nothing["par30_ratio"] == "0.0000"
        assert own[0]["subsidy_issued"] == statements.json()["statements"][0]["amount"]
        csv_text = (await read("/v1/reports/portfolio.csv")).text
        assert f"\n{COUNTY}," in csv_text and "621122" not in csv_text
        (fund,) = (await read("/v1/funds")).json()
        assert fund["fund_id"] == f"county-{COUNTY}" and fund["balance"] == 1_000_000
        assert (await read(f"/v1/funds/county-{COUNTY}", None)).status_code == 200
        lines = (await read("/v1/subsidy/2016Q2/preview")).json()
        assert [line["county_code"] for line in lines] == [COUNTY]
        issued = (await read("/v1/subsidy/2016Q2/statements")).json()
        assert [line["county_code"] for line in issued] == [COUNTY]
        villages = (await read("/v1/mutual-aid")).json()
        assert [v["village_code"] for v in villages["villages"]] == [f"{COUNTY}100201"]

        for url in (
            "/v1/reports/portfolio",
            "/v1/reports/portfolio.csv",
            "/v1/funds",
            "/v1/subsidy/2016Q2/preview",
            "/v1/subsidy/2016Q2/statements",
            "/v1/mutual-aid",
        ):
            assert (await read(url, "621122")).status_code == 403, url
            assert (await read(url, None)).status_code == 403, url
        assert (await read("/v1/funds/county-621122", None)).status_code == 403


async def test_every_route_answers_each_role_inside_and_outside_its_scope(
    database_url, kafka_settings
) -> None:
    """The authorization matrix: 28 routes × 9 roles × inside/outside, and no token; then
    requests whose parts disagree about the scope."""
    home, elsewhere = Household(), Household(county="620121")  # another city
    async with loans_service(database_url, kafka_settings, home, elsewhere) as (client, service):
        await posted(client, approval(home, "R-1"))
        path = {
            "household_id": str(home.id),
            "bank_id": "gansu-rcc",
            "loan_ref": "R-1",
            "county_code": COUNTY,
            "fund_id": f"county-{COUNTY}",
            "quarter": "2016Q2",
            "statement_id": str(uuid4()),
            "village_code": f"{COUNTY}100201",
            "loan_id": str(uuid4()),
        }
        scope = Scope(village=f"{COUNTY}100201", orgs={Role.BANK: "gansu-rcc"})
        bodies = {"POST /v1/bank-postings": {"bank_id": "gansu-rcc", "kind": "overdue"}}
        county_wide = [
            "GET /v1/programme/quotas/{county_code}",
            "GET /v1/funds/{fund_id}",
            "GET /v1/funds/{fund_id}/history",
            "GET /v1/mutual-aid",
            "GET /v1/mutual-aid.csv",
            "GET /v1/funds",
            "GET /v1/subsidy/{quarter}/preview",
            "GET /v1/subsidy/{quarter}/statements",
            "GET /v1/reports/portfolio",
            "GET /v1/reports/portfolio.csv",
        ]
        auth, digits = service.state.runtime.settings.auth, dict.fromkeys(county_wide, 6)
        matrix = Matrix(client, auth, spec.access, scope, path, {"county_code": COUNTY}, digits)
        calls = await matrix.walk(bodies)
        assert calls == len(spec.access) * (1 + 2 * len(Role))
        head = (await client.get("/v1/events")).json()["head"]
        valid = {
            "POST /v1/bank-postings": step("overdue", "R-1", days_past_due=30, as_of="2016-08-01"),
            "POST /v1/villages/{village_code}/mutual-aid/contributions": {
                "source": "finance",
                "amount": 100,
                "received_on": "2016-05-01",
            },
            "POST /v1/villages/{village_code}/mutual-aid/loans": {
                "household_id": str(home.id),
                "amount": 100,
                "term_months": 12,
                "lent_on": "2016-05-02",
            },
            "POST /v1/villages/{village_code}/mutual-aid/loans/{loan_id}/repayments": {
                "principal": 100,
                "received_on": "2016-06-01",
            },
        }
        await matrix.disagree(
            valid,
            elsewhere={"household_id": str(elsewhere.id), "fund_id": "county-620121"},
        )
        assert (await client.get("/v1/events")).json()["head"] == head  # nothing written


async def test_a_bank_naming_itself_in_the_query_never_posts_in_another_banks_book(
    database_url, kafka_settings
) -> None:
    """Issue 12, the loans attack: the check read ?bank_id= (the caller's own) and the
    handler posted the body's, so bank B approved and signed loans in A's book."""
    home = Household()
    async with loans_service(database_url, kafka_settings, home) as (client, _):
        head = (await client.get("/v1/events")).json()["head"]
        headers = {"Idempotency-Key": "b-1", "Authorization": bank_token("other-bank")}
        for body in (
            approval(home, "A-1"),
            step("signed", "A-1", amount=5_000_000, term_months=36, signed_on="2016-05-04"),
        ):
            attack = await client.post(
                "/v1/bank-postings", params={"bank_id": "other-bank"}, json=body, headers=headers
            )
            assert attack.status_code == 422, attack.text
            assert attack.json()["errors"][0]["loc"] == ["query", "bank_id"]
            refused = await client.post("/v1/bank-postings", json=body, headers=headers)
            assert refused.status_code == 403
            assert refused.json()["detail"] == (
                "a bank of other-bank may not POST /v1/bank-postings for bank gansu-rcc"
            )
        assert (await client.get("/v1/events")).json()["head"] == head  # nothing posted
        assert (await posted(client, approval(home, "A-1"))).status_code == 201  # A itself
