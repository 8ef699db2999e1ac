"""Business time and recording time through the real broker.

A county back-fills, today, a household that exited in 2016: registered in 2014, exit
proposed and put on notice 2016-11-01..2016-11-08, its 2016 income above the line. The
verdict judges it as of the notice's last day — with the members it had then, not a
member who joined in 2018 — and the exit counts in 2016's figures. Another household's
2016 income is corrected later: the figures as known at an instant before the correction
(and before the exit) were recorded are the ones the books showed then.
"""

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tuopin_contracts import Envelope, EventData, Topic
from tuopin_contracts.events import loans as lo
from tuopin_contracts.events import registry as reg
from tuopin_contracts.events import training as tr
from tuopin_contracts.events.evaluation import ExitVerifiedV2
from tuopin_contracts.examples import certificate_issued, conditions_assessed, wage_income
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    LoanProduct,
    PovertyAttribute,
    PovertyCause,
    Relation,
)
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, eventually, publish

COUNTY = "621121"
VILLAGE = COUNTY + "100201"
NOW = datetime.now(UTC)
BACKFILLED = NOW - timedelta(hours=3)  # the county's back-filling, recorded today
CUT = NOW - timedelta(hours=2)  # an auditor's "as known then": before the later facts


class Stream:
    """One aggregate's events as its service recorded them, each at its instant."""

    def __init__(self, subject: str, source: str = "/tuopin/registry") -> None:
        self.subject, self.source, self.events = subject, source, []

    def add(self, data: EventData, at: datetime = BACKFILLED) -> Envelope:
        envelope = Envelope(
            id=uuid4(),
            source=self.source,
            type=data.TYPE,
            subject=self.subject,
            time=at,
            data=data.model_dump(mode="json"),
            sequence=len(self.events) + 1,
        )
        self.events.append(envelope)
        return envelope


def person(relation: Relation, insured: bool = True) -> reg.SealedMember:
    return reg.SealedMember(
        person_id=uuid4(),
        relation=relation,
        birth_year=1980,
        birth_month=6,
        medical_insurance=insured,
    )


def registered(home: Stream, size: int) -> None:
    members = [person(Relation.HEAD), *(person(Relation.SPOUSE) for _ in range(size - 1))]
    home.add(
        reg.HouseholdRegisteredV3(
            household_id=UUID(home.subject),
            effective_date=date(2014, 3, 1),
            file_number=f"F{home.subject[:10]}",
            county_code=COUNTY,
            village_code=VILLAGE,
            poverty_attribute=PovertyAttribute.GENERAL,
            primary_cause=PovertyCause.ILLNESS,
            members=members,
            identified_year=2014,
        )
    )


def income_2016(
    home: Stream, per_head: int, at: datetime = BACKFILLED, correction: str | None = None
) -> None:
    """The year's income, first recorded, or corrected (更正) with its reason."""
    kind, why = (
        (reg.IncomeCorrectedV1, {"reason": correction})
        if correction
        else (reg.IncomeRecordedV1, {})
    )
    home.add(wage_income(UUID(home.subject), 2016, per_head, 2, kind=kind, **why), at)


def exiting() -> Stream:
    """Household A: 2 insured members then; one uninsured joins in 2018 (recorded today)."""
    home = Stream(str(uuid4()))
    hid = UUID(home.subject)
    registered(home, 2)
    home.add(conditions_assessed(hid, date(2016, 10, 1)))
    income_2016(home, 400_000)  # 2016's line: 2,952 yuan
    newcomer = person(Relation.CHILD, insured=False)
    home.add(reg.MemberAddedV2(household_id=hid, effective_date=date(2018, 5, 1), member=newcomer))
    home.add(
        reg.AssistanceStartedV1(
            household_id=hid, effective_date=date(2014, 5, 1), status=HouseholdStatus.ASSISTING
        )
    )
    home.add(
        reg.ExitProposedV1(
            household_id=hid,
            effective_date=date(2016, 11, 1),
            status=HouseholdStatus.EXIT_PROPOSED,
            appraisal_date=date(2016, 11, 1),
        )
    )
    home.add(
        reg.ExitPublicisedV1(
            household_id=hid,
            effective_date=date(2016, 11, 1),
            status=HouseholdStatus.EXIT_PUBLICISED,
            notice_from=date(2016, 11, 1),
            notice_until=date(2016, 11, 8),
        )
    )
    return home


def corrected() -> Stream:
    """Household B: 3 people, poor throughout; its 2016 income re-recorded (corrected) now."""
    home = Stream(str(uuid4()))
    registered(home, 3)
    income_2016(home, 250_000)  # below the line ...
    income_2016(home, 350_000, at=NOW, correction="银行流水核实")  # ... corrected, after the cut
    return home


def village() -> Envelope:
    data = reg.VillageRegisteredV1(
        village_code=VILLAGE,
        effective_date=date(2014, 1, 1),
        name="李家村",
        poor=True,
        rural_population=100,
    )
    return Stream(VILLAGE).add(data)


async def test_a_backdated_exit_is_judged_and_counted_on_its_own_day(
    database_url, kafka_settings
) -> None:
    a, b = exiting(), corrected()
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(kafka_settings, Topic.REGISTRY, village(), *b.events, *a.events)

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def judged() -> dict:
            feed = (await client.get("/v1/events")).json()["items"]
            verdicts = [i["event"] for i in feed if i["event"]["type"] == ExitVerifiedV2.TYPE]
            assert len(verdicts) == 1
            return verdicts[0]

        verdict = await eventually(judged)
        assert verdict["data"]["as_of"] == "2016-11-08" and verdict["effectivedate"] == "2016-11-08"
        assert verdict["data"]["year"] == 2016 and verdict["data"]["passed"] is True
        criteria = {c["name"]: c["value"] for c in verdict["data"]["criteria"]}
        assert criteria["medical_insurance"] == "2 of 2 members insured"  # not the 2018 child
        assert criteria["income_per_head"] == "4000.00"

        # The registry exits the household on the verdict's day (its reaction, simulated).
        exited = reg.HouseholdExitedV1(
            household_id=UUID(a.subject),
            status=HouseholdStatus.EXITED,
            effective_date=date.fromisoformat(verdict["data"]["as_of"]),
            verification_id=UUID(verdict["data"]["verification_id"]),
        )
        await publish(kafka_settings, Topic.REGISTRY, a.add(exited, at=datetime.now(UTC)))

        async def village_row(**params: str) -> dict:
            answer = await client.get("/v1/rollups", params={"level": "village", **params})
            assert answer.status_code == 200, answer.text
            rows = answer.json()["rows"]
            assert len(rows) == 1, rows
            return rows[0]

        async def counted_exit() -> dict:
            row = await village_row(as_of="2016-12-31")
            assert row["exits"] == {"2016": 1}
            return row

        year_end = await eventually(counted_exit)
        assert (year_end["poor_households"], year_end["poor_people"]) == (1, 3)  # B only
        assert year_end["incidence"] == "0.0300"
        before = await village_row(as_of="2016-10-31")
        assert (before["poor_households"], before["poor_people"], before["exits"]) == (2, 5, {})
        later = await village_row(as_of="2018-12-31")  # A exited; its 2018 member not poor
        assert (later["poor_households"], later["poor_people"]) == (1, 3)

        # As known at the cut: the exit was not yet recorded, so 2016 ended with A poor.
        cut = CUT.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()  # any offset will do
        then = await client.get(
            "/v1/rollups", params={"level": "village", "as_of": "2016-12-31", "known_at": cut}
        )
        report = then.json()
        assert report["as_of"] == "2016-12-31"
        assert datetime.fromisoformat(report["known_at"]) == CUT
        (row,) = report["rows"]
        assert (row["poor_households"], row["poor_people"], row["exits"]) == (2, 5, {})
        assert row["incidence"] == "0.0500"
        known_now = await village_row(known_at=datetime.now(UTC).isoformat())
        assert (known_now["poor_households"], known_now["exits"]) == (1, {"2016": 1})
        nothing_yet = await client.get(
            "/v1/rollups", params={"level": "village", "known_at": "2000-01-01T00:00:00Z"}
        )
        assert nothing_yet.json()["rows"] == []

        eligibility = f"/v1/villages/{VILLAGE}/exit-eligibility"
        assert (await client.get(eligibility, params={"as_of": "2016-12-31"})).json()[
            "incidence"
        ] == "0.0300"
        audited = (
            await client.get(eligibility, params={"as_of": "2016-12-31", "known_at": cut})
        ).json()
        assert audited["incidence"] == "0.0500" and audited["known_at"] is not None

        delisting = f"/v1/counties/{COUNTY}/delisting"
        standing = (await client.get(delisting, params={"as_of": "2016-12-31"})).json()
        assert standing["criteria"][0]["value"] == "0.0300" and standing["known_at"] is None
        audited = (
            await client.get(delisting, params={"as_of": "2016-12-31", "known_at": cut})
        ).json()
        assert audited["criteria"][0]["value"] == "0.0500"

        # The exit was a mistake: annulled now, from its own day. 2016 ends with A poor
        # again and no exit; as known before the annulment, the exit stands.
        before_annulment = datetime.now(UTC)
        annulled = reg.ExitAnnulledV1(
            household_id=UUID(a.subject),
            status=HouseholdStatus.ASSISTING,
            effective_date=date(2016, 11, 8),
            reason="验收错把邻户收入记入本户",
        )
        await publish(
            kafka_settings,
            Topic.REGISTRY,
            a.add(annulled, at=before_annulment + timedelta(milliseconds=1)),
        )

        async def annulled_exit() -> None:
            row = await village_row(as_of="2016-12-31")
            assert (row["exits"], row["poor_households"], row["poor_people"]) == ({}, 2, 5)

        await eventually(annulled_exit)
        as_known = await village_row(as_of="2016-12-31", known_at=before_annulment.isoformat())
        assert (as_known["exits"], as_known["poor_households"]) == ({"2016": 1}, 1)


async def test_an_income_correction_shows_only_as_known_after_it(
    database_url, kafka_settings
) -> None:
    b = corrected()
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(kafka_settings, Topic.REGISTRY, village(), *b.events)

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:
        url = "/v1/income-distribution"

        async def bands(**params: str) -> list[int]:
            answer = await client.get(url, params={"region": VILLAGE, "year": "2016", **params})
            assert answer.status_code == 200, answer.text
            return [band["households"] for band in answer.json()["bands"]]

        async def corrected_today() -> None:
            assert await bands() == [0, 1, 0, 0]  # 3,500 yuan: above the line

        await eventually(corrected_today)
        assert await bands(known_at=CUT.isoformat()) == [1, 0, 0, 0]  # 2,500 yuan then
        assert await bands(known_at=NOW.isoformat()) == [0, 1, 0, 0]  # the correction's instant
        then = (await client.get(url, params={"known_at": CUT.isoformat()})).json()
        assert then["year"] == 2016 and datetime.fromisoformat(then["known_at"]) == CUT
        early = await client.get(url, params={"known_at": (BACKFILLED - timedelta(1)).isoformat()})
        assert early.status_code == 404  # no income recorded by then

        for path, params in [
            ("/v1/rollups", {"knownat": CUT.isoformat()}),
            ("/v1/rollups", {"known_at": "yesterday"}),
            ("/v1/rollups", {"known_at": "2017-03-01T00:00:00"}),  # no offset: which instant?
            ("/v1/rollups", {"known_at": "2017-03-01"}),
            ("/v1/rollups.csv", {"known_at": "not-an-instant"}),
            (f"/v1/villages/{VILLAGE}/exit-eligibility", {"known_at": "2017-13-01T00:00:00Z"}),
            (url, {"known_at": "2017-03-01T00:00:00"}),
            (f"/v1/counties/{COUNTY}/delisting", {"known_at": "soon"}),
        ]:
            answer = await client.get(path, params=params)
            assert answer.status_code == 422, (path, params, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"


async def test_what_the_programmes_reached_as_known_at_an_instant(
    database_url, kafka_settings
) -> None:
    """A loan disbursed in 2016 is recorded late; a certificate issued in 2016 is revoked,
    back to 2016-06-01, later still: as known at the cut, the household was certified and
    had no credit."""
    b = corrected()
    hid, holder = UUID(b.subject), "a" * 64
    loan = Stream(str(uuid4()), "/tuopin/loans")
    disbursed = lo.LoanDisbursedV1(
        loan_id=UUID(loan.subject),
        bank_id="gsrcu",
        household_id=hid,
        county_code=COUNTY,
        product=LoanProduct.MICROCREDIT,
        amount=5_000_000,
        disbursed_on=date(2016, 3, 1),
        outstanding=5_000_000,
    )
    loan.add(disbursed, at=NOW)
    certificate = Stream(str(uuid4()), "/tuopin/training")
    person = {"centre_id": uuid4(), "household_id": hid, "id_number_hash": holder}
    issued = certificate_issued(
        person["centre_id"],
        hid,
        VILLAGE,
        holder,
        date(2016, 5, 1),
        certificate_id=UUID(certificate.subject),
        number="C0001",
    )
    certificate.add(issued)
    revoked = tr.CertificateRevokedV1(
        **person,
        certificate_id=UUID(certificate.subject),
        number="C0001",
        revoked_on=date(2016, 6, 1),
        reason="鉴定材料不实",
    )
    certificate.add(revoked, at=NOW)
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.LOANS, Topic.TRAINING])
    await publish(kafka_settings, Topic.REGISTRY, village(), *b.events)
    await publish(kafka_settings, Topic.LOANS, *loan.events)
    await publish(kafka_settings, Topic.TRAINING, *certificate.events)

    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def reached(**params: str) -> tuple[int, int]:
            query = {"level": "village", "as_of": "2016-12-31", **params}
            answer = await client.get("/v1/rollups", params=query)
            assert answer.status_code == 200, answer.text
            rows = answer.json()["rows"]
            assert len(rows) == 1, rows
            return rows[0]["credit_households"], rows[0]["certified_households"]

        async def known_today() -> None:
            assert await reached() == (1, 0)

        await eventually(known_today)
        assert await reached(known_at=CUT.isoformat()) == (0, 1)
        assert await reached(known_at=NOW.isoformat()) == (1, 0)


async def test_an_exit_before_any_standard_gets_a_verdict_that_says_so(
    database_url, kafka_settings
) -> None:
    """A county back-fills a 2015 exit; no exit standard was in force before 2016: the
    verdict fails naming that, rather than leaving the household on notice for ever."""
    home = Stream(str(uuid4()))
    hid = UUID(home.subject)
    registered(home, 2)
    home.add(
        reg.AssistanceStartedV1(
            household_id=hid, effective_date=date(2014, 5, 1), status=HouseholdStatus.ASSISTING
        )
    )
    proposed = date(2015, 11, 1)
    home.add(
        reg.ExitProposedV1(
            household_id=hid,
            effective_date=proposed,
            status=HouseholdStatus.EXIT_PROPOSED,
            appraisal_date=proposed,
        )
    )
    home.add(
        reg.ExitPublicisedV1(
            household_id=hid,
            effective_date=date(2015, 11, 1),
            status=HouseholdStatus.EXIT_PUBLICISED,
            notice_from=date(2015, 11, 1),
            notice_until=date(2015, 11, 8),
        )
    )
    await ensure_topics(kafka_settings, [Topic.REGISTRY, Topic.EVALUATION])
    await publish(kafka_settings, Topic.REGISTRY, village(), *home.events)
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def judged() -> dict:
            feed = (await client.get("/v1/events")).json()["items"]
            assert len(feed) == 1
            return feed[0]["event"]["data"]

        verdict = await eventually(judged)
        assert verdict["passed"] is False and verdict["as_of"] == "2015-11-08"
        (criterion,) = verdict["criteria"]
        assert criterion["name"] == "exit_standard" and "2015-11-08" in criterion["value"]
