"""Loans and training reached, through the real broker: the training centres' and banks'
events arrive before the registry's households they name, certificates are issued and
revoked (one revocation ahead of its issue), events are redelivered — and the roll-ups at
every level, as of any day, match a count made here from the scenario; so does the 2020
target "every poor household with a certified member".

    county 621121, township 621121100
      village …201  h1 3 people: microcredit 2016-06, housing 2017-03; certified 2016-09;
                       trained twice (one person); exited 2017-10
                    h2 2 people: microcredit in two tranches 2017; certified 2017-05,
                       revoked 2018-02 (its only one); one trained
      village …202  h3 4 people: student loan 2016-09; one certificate revoked (revocation
                       published first), another member's stays
                    h4 removed 2017-06 after a loan and a certificate: counts only before
                    h6 registered 2017-01-10, reached by nothing
    county 621122
      village …201  h5 certificate expiring 2017-12-31, a lasting one from 2018-03; trained
    a loan to a household evaluation never hears of counts nowhere
"""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest

from tuopin_contracts import Envelope, EventData, Topic
from tuopin_contracts.events import loans as lo
from tuopin_contracts.events import registry as reg
from tuopin_contracts.events import training as tr
from tuopin_contracts.examples import certificate_issued, filed_v2
from tuopin_contracts.vocabulary import LoanProduct, PovertyCause, Relation
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.domain.village_figures import ratio
from tuopin_evaluation.entrypoints.app import app
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import client_for, eventually, publish

V1, V2, V3 = "621121100201", "621121100202", "621122100201"
LEVELS = ("village", "township", "county", "city", "province")
DAYS = [
    None,
    date(2016, 6, 30),
    date(2016, 12, 31),
    date(2017, 6, 30),
    date(2017, 12, 31),
    date(2018, 3, 1),
]
CENTRE = uuid4()


class Stream:
    """Envelopes of one service: each aggregate's own sequence."""

    def __init__(self, source: str) -> None:
        self.source, self.versions = source, Counter[str]()

    def __call__(self, subject: UUID | str, data: EventData) -> Envelope:
        self.versions[str(subject)] += 1
        return Envelope(
            id=uuid4(),
            source=self.source,
            type=data.TYPE,
            subject=str(subject),
            time=datetime.now(UTC),
            data=data.model_dump(mode="json"),
            sequence=self.versions[str(subject)],
        )


registry, bank, centre = (
    Stream("/tuopin/registry"),
    Stream("/tuopin/loans"),
    Stream("/tuopin/training"),
)


@dataclass
class Certificate:
    holder: str  # the member's id hash
    issued_on: date
    valid_until: date | None = None
    revoked_on: date | None = None

    def valid(self, day: date) -> bool:
        return (
            self.issued_on <= day
            and (self.revoked_on is None or self.revoked_on > day)
            and (self.valid_until is None or self.valid_until >= day)
        )


@dataclass
class Home:
    """A household, its events on the three topics, and what the test expects of it."""

    village: str
    people: int
    registered_on: date = date(2016, 4, 1)
    id: UUID = field(default_factory=uuid4)
    statuses: list[tuple[date, str]] = field(default_factory=list)
    loans: list[tuple[LoanProduct, int, date]] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    trained: list[tuple[str, date]] = field(default_factory=list)
    events: dict[Topic, list[Envelope]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.members = [f"{self.id.hex}{i:02d}" for i in range(self.people)]
        members = [
            reg.Member(
                person_id=uuid4(),
                name=f"成员{i}",
                id_number_hash=h,
                relation=Relation.HEAD if i == 0 else Relation.CHILD,
            )
            for i, h in enumerate(self.members)
        ]
        data = filed_v2(
            self.id, self.village, members, on=self.registered_on, cause=PovertyCause.LACK_OF_FUNDS
        )
        self.events = {
            Topic.REGISTRY: [registry(self.id, data)],
            Topic.LOANS: [],
            Topic.TRAINING: [],
        }
        self.statuses.append((self.registered_on, "identified"))

    def becomes(self, kind: type[reg.StatusChanged], status: str, on: date, **extra) -> "Home":
        data = kind(household_id=self.id, effective_date=on, status=status, **extra)
        self.events[Topic.REGISTRY].append(registry(self.id, data))
        self.statuses.append((on, status))
        return self

    def loan(self, product: LoanProduct, *tranches: tuple[int, date]) -> "Home":
        """A loan approved, then disbursed in tranches (fen, day), then a repayment."""
        loan_id, total = uuid4(), sum(fen for fen, _ in tranches)
        fact = {
            "loan_id": loan_id,
            "bank_id": "gsrcu",
            "household_id": self.id,
            "county_code": self.village[:6],
            "product": product,
        }
        out = self.events[Topic.LOANS]
        out.append(
            bank(
                loan_id,
                lo.LoanApprovedV1(
                    **fact,
                    loan_ref=f"L{loan_id.hex[:8]}",
                    borrower_hash=self.members[0],
                    borrower_masked="6211**********0001",
                    amount=total,
                    term_months=36,
                    decided_on=tranches[0][1],
                ),
            )
        )
        for fen, on in tranches:
            out.append(
                bank(
                    loan_id,
                    lo.LoanDisbursedV1(**fact, amount=fen, disbursed_on=on, outstanding=total),
                )
            )
            self.loans.append((product, fen, on))
        out.append(
            bank(
                loan_id,
                lo.RepaymentReceivedV1(
                    **fact,
                    principal=100_000,
                    interest=0,
                    received_on=date(2019, 1, 5),
                    outstanding=total - 100_000,
                ),
            )
        )
        return self

    def certify(
        self,
        member: int,
        on: date,
        valid_until: date | None = None,
        revoked_on: date | None = None,
        revocation_first: bool = False,
    ) -> "Home":
        holder, certificate_id = self.members[member], uuid4()
        person = {"centre_id": CENTRE, "household_id": self.id, "id_number_hash": holder}
        issue = certificate_issued(
            CENTRE,
            self.id,
            self.village,
            holder,
            on,
            certificate_id=certificate_id,
            valid_until=valid_until,
        )
        sent = [centre(certificate_id, issue)]
        if revoked_on:
            revoke = tr.CertificateRevokedV1(
                **person,
                certificate_id=certificate_id,
                number=issue.number,
                revoked_on=revoked_on,
                reason="鉴定材料不实",
            )
            sent.append(centre(certificate_id, revoke))
        self.events[Topic.TRAINING] += reversed(sent) if revocation_first else sent
        self.certificates.append(Certificate(holder, on, valid_until, revoked_on))
        return self

    def train(self, member: int, on: date) -> "Home":
        enrolment_id, holder = uuid4(), self.members[member]
        kind = tr.ProgrammeKind.EMPLOYMENT_SKILLS
        self.events[Topic.TRAINING].append(
            centre(
                enrolment_id,
                tr.CompletedV1(
                    centre_id=CENTRE,
                    enrolment_id=enrolment_id,
                    household_id=self.id,
                    id_number_hash=holder,
                    kind=kind,
                    completed_on=on,
                ),
            )
        )
        self.trained.append((holder, on))
        return self

    # What the test expects, reckoned from the scenario itself.
    def registered_on_day(self, day: date) -> bool:
        known = [s for d, s in self.statuses if d <= day]
        return bool(known) and known[-1] != "removed"


def scenario() -> list[Home]:
    M, H, S = LoanProduct.MICROCREDIT, LoanProduct.HOUSING, LoanProduct.STUDENT
    h1 = Home(V1, 3).loan(M, (5_000_000, date(2016, 6, 1))).loan(H, (3_000_000, date(2017, 3, 1)))
    h1.certify(0, date(2016, 9, 1)).train(0, date(2016, 8, 20)).train(0, date(2017, 4, 2))
    h1.becomes(reg.HouseholdExitedV1, "exited", date(2017, 10, 8), verification_id=uuid4())
    h2 = Home(V1, 2).loan(M, (2_000_000, date(2017, 2, 1)), (1_500_000, date(2017, 8, 1)))
    h2.certify(0, date(2017, 5, 1), revoked_on=date(2018, 2, 1)).train(1, date(2017, 4, 1))
    h3 = Home(V2, 4).loan(S, (800_000, date(2016, 9, 1)))
    h3.certify(0, date(2016, 11, 1), revoked_on=date(2017, 6, 1), revocation_first=True)
    h3.certify(1, date(2017, 1, 15))
    h4 = Home(V2, 2).loan(M, (4_000_000, date(2016, 5, 1))).certify(0, date(2016, 7, 1))
    h4.becomes(reg.HouseholdRemovedV1, "removed", date(2017, 6, 1))
    h6 = Home(V2, 1, registered_on=date(2017, 1, 10))
    h5 = Home(V3, 2).certify(0, date(2016, 10, 1), valid_until=date(2017, 12, 31))
    h5.certify(1, date(2018, 3, 1)).train(1, date(2016, 9, 30))
    return [h1, h2, h3, h4, h5, h6]


def expected(homes: list[Home], level: str, day: date | None) -> dict[str, dict]:
    """Each region's reach, counted straight from the scenario's households."""
    digits = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}[level]

    def code(village: str) -> str:
        return village[:digits].ljust(6, "0")

    on = day or date.today()
    rows: dict[str, dict] = {}
    for region in sorted({code(h.village) for h in homes}):
        mine = [h for h in homes if code(h.village) == region and h.registered_on_day(on)]
        loans = [[(p, fen) for p, fen, d in h.loans if d <= on] for h in mine]
        credit = sum(1 for lent in loans if lent)
        certified = sum(1 for h in mine if any(c.valid(on) for c in h.certificates))
        products = Counter(p for lent in loans for p in {str(p) for p, _ in lent})
        rows[region] = {
            "registered_households": len(mine),
            "credit_households": credit,
            "credit_share": str(ratio(credit, len(mine))) if mine else None,
            "credit_households_by_product": dict(sorted(products.items())),
            "credit_disbursed_fen": sum(fen for lent in loans for _, fen in lent),
            "certified_households": certified,
            "certified_coverage": str(ratio(certified, len(mine))) if mine else None,
            "people_trained": sum(len({p for p, d in h.trained if d <= on}) for h in mine),
        }
    return rows


def found(report: dict) -> dict[str, dict]:
    keys = [
        "registered_households",
        "credit_households",
        "credit_share",
        "credit_households_by_product",
        "credit_disbursed_fen",
        "certified_households",
        "certified_coverage",
        "people_trained",
    ]
    return {row["code"]: {k: row[k] for k in keys} for row in report["rows"]}


def villages() -> list[Envelope]:
    return [
        registry(
            code,
            reg.VillageRegisteredV1(
                village_code=code,
                effective_date=date(2016, 1, 1),
                name=f"村{code[-3:]}",
                poor=True,
                rural_population=200,
            ),
        )
        for code in (V1, V2, V3)
    ]


@pytest.fixture
async def service(database_url, kafka_settings):
    await ensure_topics(
        kafka_settings, [Topic.REGISTRY, Topic.LOANS, Topic.TRAINING, Topic.EVALUATION]
    )
    homes = scenario()
    stranger = Home(V1, 1).loan(LoanProduct.MICROCREDIT, (1_000_000, date(2016, 7, 1)))
    loans = [e for h in [*homes, stranger] for e in h.events[Topic.LOANS]]
    training = [e for h in homes for e in h.events[Topic.TRAINING]]
    disbursed = next(e for e in loans if e.type == lo.LoanDisbursedV1.TYPE)
    issued = next(e for e in training if e.type == tr.CertificateIssuedV1.TYPE)
    # The programmes' events first, the households they name after; redeliveries.
    await publish(kafka_settings, Topic.TRAINING, *training, issued, training[-1])
    await publish(kafka_settings, Topic.LOANS, *loans, disbursed)
    registered = [e for h in homes for e in h.events[Topic.REGISTRY]]
    await publish(kafka_settings, Topic.REGISTRY, *villages(), *registered)
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)
    async with client_for(app(settings)) as client:

        async def arrived() -> None:
            answer = await client.get("/v1/rollups", params={"level": "village"})
            assert answer.status_code == 200, answer.text
            assert found(answer.json()) == expected(homes, "village", None)

        await eventually(arrived)
        yield client, homes


async def test_every_level_as_of_any_day_matches_the_scenario(service) -> None:
    client, homes = service
    for day, level in [(d, lvl) for d in DAYS for lvl in LEVELS]:
        params = {"level": level} | ({"as_of": day.isoformat()} if day else {})
        answer = await client.get("/v1/rollups", params=params)
        assert answer.status_code == 200, answer.text
        assert found(answer.json()) == expected(homes, level, day), (level, day)


async def test_the_figures_that_matter_spelled_out(service) -> None:
    client, _ = service

    async def rows(**params: str) -> dict[str, dict]:
        report = (await client.get("/v1/rollups", params=params)).json()
        return {row["code"]: row for row in report["rows"]}

    now = await rows(level="village")
    # h2's only certificate is revoked; h1's stays with its exit; both borrowed.
    assert (now[V1]["certified_households"], now[V1]["certified_coverage"]) == (1, "0.5000")
    assert now[V1]["credit_households_by_product"] == {"housing": 1, "microcredit": 2}
    assert now[V1]["credit_disbursed_fen"] == 11_500_000  # the stranger's loan not among them
    assert now[V1]["people_trained"] == 2  # h1's member trained twice, counted once
    # h3 keeps a certified member; h4 is removed; h6 has nothing.
    assert (now[V2]["registered_households"], now[V2]["certified_households"]) == (2, 1)
    assert (now[V2]["credit_households"], now[V2]["credit_share"]) == (1, "0.5000")
    assert now[V3]["certified_households"] == 1  # the lasting certificate, not the expired

    then = await rows(level="village", as_of="2016-12-31")
    assert then[V2]["registered_households"] == 2  # h4 not yet removed, h6 not yet filed
    assert (then[V2]["certified_households"], then[V2]["credit_disbursed_fen"]) == (2, 4_800_000)
    spring = await rows(level="village", as_of="2017-06-30")
    assert spring[V2]["certified_households"] == 1  # h3: one revoked, one left

    (province,) = (await rows(level="province")).values()
    assert province["credit_disbursed_fen"] == 12_300_000
    assert (province["certified_households"], province["registered_households"]) == (3, 5)


async def test_the_csv_export_has_the_reach(service) -> None:
    client, _ = service
    answer = await client.get("/v1/rollups.csv", params={"level": "county"})
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(answer.text.lstrip("\ufeff")))}
    county = rows["621121"]
    assert (county["credit_households"], county["credit_disbursed_fen"]) == ("3", "12300000")
    assert (
        county["credit_households_microcredit"],
        county["credit_households_housing"],
        county["credit_households_student"],
        county["credit_households_relocation"],
    ) == ("2", "1", "1", "0")
    assert (county["certified_coverage"], county["people_trained"]) == ("0.5000", "2")
    assert rows["621122"]["credit_share"] == "0.0000"


async def test_the_2020_target_is_measured(service) -> None:
    client, _ = service

    async def target(region: str) -> dict:
        progress = (await client.get("/v1/targets", params={"region": region})).json()
        return next(t for t in progress["targets"] if t["name"] == "certified_member_2020")

    county = await target("621121")
    assert county["value"] == {
        "as_of": "2020-12-31",
        "registered_households": 4,
        "with_certified_member": 2,
        "coverage": "0.5000",
    }
    assert county["met"] is False
    other = await target("621122")  # h5's lasting certificate
    assert other["value"]["coverage"] == "1.0000" and other["met"] is True
    assert (await target("620000"))["value"]["with_certified_member"] == 3
