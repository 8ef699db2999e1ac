"""Replay equals live: the evaluation service consumes a realistic mix of the registry's
events through the real broker, then its households read model is rebuilt from offset
zero — in process, and through ``tuopin-evaluation rebuild`` — and every table of it and
the roll-ups must come out identical, without a second verdict on evaluation's stream.

Beside it the programme-reach read model is fed by banks' and training centres' events
(loans disbursed, one in tranches; certificates issued, one revoked ahead of its issue;
trainings completed; events it does not read; redeliveries) and rebuilt the same way.

The mix: villages registered with their rural population and later profiles; households
filed with members (v2, and one legacy v1 filing upcast on read), incomes (one corrected),
living conditions, members joining, leaving and changing; assistance, exit proposals and
notices judged by evaluation (one passes, one fails, one passes and later returns to
poverty), the registry's answers to the verdicts, a disaster after an exit (a return
warning), a removal; events this projection does not read (needs, cadres); redeliveries.
"""

import hashlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_contracts import Envelope, EventData, Topic, catalogue
from tuopin_contracts.dates import business_date
from tuopin_contracts.events import loans as lo
from tuopin_contracts.events import registry as reg
from tuopin_contracts.events import training as tr
from tuopin_contracts.events.evaluation import ExitVerifiedV2, ReturnWarningRaisedV1
from tuopin_contracts.examples import certificate_issued, conditions_assessed, filed_v2
from tuopin_contracts.vocabulary import (
    Health,
    HouseholdStatus,
    LoanProduct,
    MeasureKind,
    PovertyCause,
    Relation,
    Schooling,
    Sex,
)
from tuopin_evaluation.application.exit_judgement import exit_judgement
from tuopin_evaluation.config import EvaluationSettings
from tuopin_evaluation.entrypoints.app import app, spec
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.messaging import kafka
from tuopin_eventkit.store.checkpoint import stored_offsets
from tuopin_eventkit.store.projection import Projection
from tuopin_eventkit.store.schema import events as event_store
from tuopin_eventkit.store.schema import relay_checkpoints
from tuopin_eventkit.testing import client_for, eventually, publish, service_command
from tuopin_eventkit.web.runtime import Runtime

PROJECTION = spec.projection("evaluation.households")
REACH = spec.projection("evaluation.reach")
V1, V2, V3, V4 = "621121100201", "621121100202", "621121101201", "622926100201"
V5 = "621222100201"  # households on the register, the village itself never registered


class Producer:
    """Builds a service's envelopes: one sequence per aggregate, time moving on."""

    def __init__(self, source: str = "/tuopin/registry", actor: str = "county-office-621121"):
        self.source, self.actor = source, actor
        self.versions: Counter[str] = Counter()
        self.clock = datetime(2016, 4, 1, 2, 0, tzinfo=UTC)

    def event(self, subject: str, data: EventData) -> Envelope:
        self.versions[subject] += 1
        self.clock += timedelta(minutes=7)
        return Envelope(
            id=uuid4(),
            source=self.source,
            type=data.TYPE,
            subject=subject,
            time=self.clock,
            data=data.model_dump(mode="json"),
            sequence=self.versions[subject],
            correlationid=str(uuid4()),
            actor=self.actor,
        )

    def village(self, code: str, data: EventData) -> Envelope:
        return self.event(code, data)

    def household(self, household_id: UUID, data: EventData) -> Envelope:
        return self.event(str(household_id), data)


def person(
    relation: Relation,
    born: date,
    insured: bool = True,
    schooling: Schooling | None = None,
    sex: Sex = Sex.MALE,
) -> reg.Member:
    pid = uuid4()
    digest = hashlib.sha256(pid.bytes).hexdigest()
    return reg.Member(
        person_id=pid,
        name={Relation.HEAD: "户主"}.get(relation, f"{relation}成员"),
        id_number_hash=digest,
        id_number_masked=f"6211**********{int(digest[:4], 16) % 10000:04d}",
        relation=relation,
        sex=sex,
        birth_date=born,
        schooling=schooling,
        health=Health.HEALTHY,
        medical_insurance=insured,
        pension_insurance=relation is Relation.HEAD,
    )


def filed(
    producer: Producer, village: str, members: list[reg.Member], on: date
) -> tuple[UUID, Envelope]:
    household_id = uuid4()
    data = filed_v2(
        household_id,
        village,
        members,
        on=on,
        file_number=f"{village[:6]}-{household_id.hex[:8]}",
        secondary_causes=[PovertyCause.LACK_OF_FUNDS],
    )
    return household_id, producer.household(household_id, data)


def income(hid: UUID, year: int, per_head: int, size: int) -> reg.IncomeRecordedV1:
    return reg.IncomeRecordedV1(
        household_id=hid,
        effective_date=date(year, 12, 20),
        year=year,
        wages=per_head * size * 6 // 10,
        production_and_business=per_head * size * 3 // 10,
        property=0,
        transfers=per_head * size - per_head * size * 9 // 10,
        members=size,
        per_head=per_head,
    )


def status(kind: type[reg.StatusChanged], hid: UUID, on: date, to: HouseholdStatus, **more: Any):
    return kind(household_id=hid, effective_date=on, status=to, **more)


def exit_put_on_notice(producer: Producer, hid: UUID, year: int) -> list[Envelope]:
    """Assistance, the village's appraisal, and the public notice evaluation judges."""
    S = HouseholdStatus
    proposed, notice = date(year, 10, 1), date(year, 10, 2)
    return [
        producer.household(
            hid, status(reg.AssistanceStartedV1, hid, date(year - 1, 5, 1), S.ASSISTING)
        ),
        producer.household(
            hid, status(reg.ExitProposedV1, hid, proposed, S.EXIT_PROPOSED, appraisal_date=proposed)
        ),
        producer.household(
            hid,
            status(
                reg.ExitPublicisedV1,
                hid,
                notice,
                S.EXIT_PUBLICISED,
                notice_from=notice,
                notice_until=notice + timedelta(days=6),
            ),
        ),
    ]


class Scenario:
    """Phase one: everything up to the notices. Phase two: after evaluation's verdicts."""

    def __init__(self) -> None:
        producer = self.producer = Producer()
        S, R = HouseholdStatus, Relation

        def village(code: str, poor: bool, population: int) -> Envelope:
            return producer.village(
                code,
                reg.VillageRegisteredV1(
                    village_code=code,
                    effective_date=date(2016, 1, 1),
                    name=f"{code[-3:]}村",
                    poor=poor,
                    rural_population=population,
                    hardship_belt="六盘山片区" if poor else None,
                ),
            )

        self.first: list[Envelope] = [
            village(V1, True, 820),
            village(V2, True, 640),
            village(V3, False, 900),
            village(V4, True, 1200),
            producer.village(
                V1,
                reg.VillageResponsibilityAssignedV1(
                    village_code=V1,
                    effective_date=date(2016, 2, 1),
                    first_secretary="王书记",
                    work_team=["张", "李"],
                    responsible_unit="省财政厅",
                ),
            ),
            producer.village(
                V2,
                reg.VillageProfileRecordedV1(
                    village_code=V2,
                    effective_date=date(2017, 6, 1),
                    poor=True,
                    rural_population=600,
                    cooperatives=2,
                    mutual_aid_fund=50_000_000,
                ),
            ),
        ]
        first = self.first
        on = date(2016, 4, 1)

        # A: everything in order; its exit passes.
        a, e = filed(
            producer,
            V1,
            [
                person(R.HEAD, date(1975, 3, 2)),
                person(R.SPOUSE, date(1978, 6, 9), sex=Sex.FEMALE),
                person(R.CHILD, date(2008, 3, 1), schooling=Schooling.PRIMARY),
            ],
            on,
        )
        first += [e, e]  # redelivered at once
        first += [
            producer.household(
                a,
                reg.CausesRecordedV1(
                    household_id=a, effective_date=on, primary_cause=PovertyCause.LACK_OF_FUNDS
                ),
            ),
            producer.household(a, income(a, 2016, 250_000, 3)),
            producer.household(a, income(a, 2017, 420_000, 3)),
            producer.household(
                a,
                conditions_assessed(a, date(2017, 9, 1)),
            ),
            *exit_put_on_notice(producer, a, 2017),
        ]

        # B: an uninsured grandparent and unsafe housing; its exit fails.
        self.b_members = [
            person(R.HEAD, date(1970, 1, 5)),
            person(R.GRANDPARENT, date(1940, 7, 7), insured=False),
            person(R.CHILD, date(2009, 9, 9), schooling=Schooling.PRIMARY),
        ]
        b, e = filed(producer, V1, self.b_members, on)
        first += [
            e,
            producer.household(
                b,
                reg.ResponsibilityAssignedV1(
                    household_id=b, effective_date=on, cadre_name="赵", cadre_unit="县农牧局"
                ),
            ),
            producer.household(b, income(b, 2017, 380_000, 3)),
            producer.household(
                b,
                conditions_assessed(b, date(2017, 9, 1), housing_safe=False),
            ),
            *exit_put_on_notice(producer, b, 2017),
        ]

        # C: exits in 2016, falls back in 2018.
        c, e = filed(
            producer,
            V2,
            [
                person(R.HEAD, date(1966, 2, 2)),
                person(R.SPOUSE, date(1968, 4, 4), sex=Sex.FEMALE),
                person(R.CHILD, date(1995, 5, 5), schooling=Schooling.TERTIARY),
                person(R.PARENT, date(1944, 8, 8)),
            ],
            on,
        )
        first += [
            e,
            producer.household(c, income(c, 2016, 400_000, 4)),
            producer.household(
                c,
                conditions_assessed(c, date(2016, 9, 1)),
            ),
            *exit_put_on_notice(producer, c, 2016),
        ]

        # D: wrongly identified, removed later. E: grows, shrinks, income corrected.
        d, e = filed(
            producer, V2, [person(R.HEAD, date(1980, 1, 1)), person(R.CHILD, date(2012, 1, 1))], on
        )
        first += [e, producer.household(d, income(d, 2016, 900_000, 2))]
        e_members = [
            person(R.HEAD, date(1972, 3, 3)),
            person(R.SPOUSE, date(1974, 3, 3)),
            person(R.CHILD, date(2003, 3, 3), schooling=Schooling.JUNIOR_SECONDARY),
            person(R.CHILD, date(2010, 3, 3), schooling=Schooling.PRIMARY),
            person(R.GRANDPARENT, date(1938, 3, 3)),
        ]
        hh_e, e = filed(producer, V4, e_members, date(2016, 5, 10))
        first += [
            e,
            producer.household(hh_e, income(hh_e, 2016, 210_000, 5)),
            producer.household(hh_e, income(hh_e, 2016, 230_000, 5)),  # corrected
            producer.household(
                hh_e, status(reg.AssistanceStartedV1, hh_e, date(2016, 6, 1), S.ASSISTING)
            ),
            producer.household(
                hh_e,
                reg.NeedListedV1(
                    household_id=hh_e,
                    effective_date=date(2016, 6, 1),
                    need_id=uuid4(),
                    kind=MeasureKind.HOUSING,
                    description="危房改造",
                ),
            ),
        ]

        # F: a legacy v1 filing (upcast on read) in a village that is not poor.
        f = uuid4()
        first.append(
            producer.household(
                f,
                reg.HouseholdRegisteredV1(
                    household_id=f, county_code=V3[:6], village_code=V3, head_name="马老汉", size=2
                ),
            )
        )
        # G, H: on the register in a village evaluation never heard of; plain households.
        g, e = filed(
            producer,
            V5,
            [person(R.HEAD, date(1960, 1, 1)), person(R.SPOUSE, date(1962, 1, 1))],
            date(2016, 7, 1),
        )
        first += [e, producer.household(g, income(g, 2016, 180_000, 2))]
        for village in (V4, V4, V1):
            _, e = filed(producer, village, [person(R.HEAD, date(1985, 1, 1))], date(2017, 3, 1))
            first.append(e)

        self.a, self.b, self.c, self.d, self.e, self.g = a, b, c, d, hh_e, g
        self.e_members = e_members

    def second(self, verdicts: dict[str, dict[str, Any]]) -> list[Envelope]:
        """The registry's answers to the verdicts, and the next two years."""
        producer, S, R = self.producer, HouseholdStatus, Relation
        a, b, c, d, e, g = self.a, self.b, self.c, self.d, self.e, self.g

        def answer(hid: UUID, on: date) -> Envelope:
            verdict = verdicts[str(hid)]
            if verdict["passed"]:
                return producer.household(
                    hid,
                    status(
                        reg.HouseholdExitedV1,
                        hid,
                        on,
                        S.EXITED,
                        verification_id=verdict["verification_id"],
                    ),
                )
            failed = [x["name"] for x in verdict["criteria"] if not x["passed"]]
            return producer.household(
                hid,
                status(
                    reg.ExitRejectedV1,
                    hid,
                    on,
                    S.ASSISTING,
                    verification_id=verdict["verification_id"],
                    failed_criteria=failed,
                ),
            )

        grandparent = self.e_members[4].person_id
        child = self.e_members[2].person_id
        later = [
            answer(a, date(2017, 10, 9)),
            producer.household(
                a,
                reg.CausesRecordedV1(
                    household_id=a,
                    effective_date=date(2018, 7, 1),
                    primary_cause=PovertyCause.DISASTER,
                ),
            ),  # 返贫预警
            answer(b, date(2017, 10, 9)),
            answer(c, date(2016, 10, 9)),
            producer.household(d, status(reg.HouseholdRemovedV1, d, date(2017, 6, 1), S.REMOVED)),
            producer.household(
                e,
                reg.MemberAddedV1(
                    household_id=e,
                    effective_date=date(2017, 2, 1),
                    member=person(R.GRANDCHILD, date(2017, 1, 20)),
                ),
            ),
            producer.household(
                e,
                reg.MemberRemovedV1(
                    household_id=e,
                    effective_date=date(2017, 11, 3),
                    person_id=grandparent,
                    reason="去世",
                ),
            ),
            producer.household(
                e,
                reg.MemberUpdatedV1(
                    household_id=e,
                    effective_date=date(2017, 9, 1),
                    person_id=child,
                    schooling=Schooling.VOCATIONAL,
                    medical_insurance=False,
                ),
            ),
            producer.household(e, income(e, 2017, 310_000, 5)),
            producer.household(
                b,
                reg.MemberUpdatedV1(
                    household_id=b,
                    effective_date=date(2018, 1, 5),
                    person_id=self.b_members[1].person_id,
                    medical_insurance=True,
                ),
            ),
            producer.household(c, income(c, 2017, 520_000, 4)),
            producer.household(c, income(c, 2018, 200_000, 4)),
            producer.household(
                c,
                status(
                    reg.ReturnedToPovertyV1,
                    c,
                    date(2018, 3, 1),
                    S.RETURNED,
                    cause=PovertyCause.ILLNESS,
                ),
            ),
            producer.household(g, income(g, 2017, 260_000, 2)),
            producer.village(
                V1,
                reg.VillageProfileRecordedV1(
                    village_code=V1,
                    effective_date=date(2018, 1, 1),
                    poor=False,
                    rural_population=830,
                    cooperatives=3,
                    mutual_aid_fund=60_000_000,
                ),
            ),
            producer.village(
                V1,
                reg.VillageConditionsRecordedV1(
                    village_code=V1,
                    effective_date=date(2018, 6, 30),
                    source="县扶贫办 验收表",
                    road_access=True,
                    broadband=False,
                    collective_income=5_000_000,
                ),
            ),
        ]
        return [*later, later[0], later[5]]  # two more redeliveries


def programmes(s: Scenario) -> dict[Topic, list[Envelope]]:
    """What banks and training centres post about the scenario's households."""
    bank, centre = Producer("/tuopin/loans", "bank-gsrcu"), Producer("/tuopin/training", "centre")
    centre_id = uuid4()

    def loan(hid: UUID, village: str, product: LoanProduct, *tranches: tuple[int, date]):
        loan_id, total = uuid4(), sum(fen for fen, _ in tranches)
        fact = {
            "loan_id": loan_id,
            "bank_id": "gsrcu",
            "household_id": hid,
            "county_code": village[:6],
            "product": product,
        }
        return [
            bank.event(
                str(loan_id),
                lo.LoanApprovedV1(
                    **fact,
                    loan_ref=f"L{loan_id.hex[:8]}",
                    borrower_hash="b" * 64,
                    borrower_masked="6211**********0001",
                    amount=total,
                    term_months=36,
                    decided_on=tranches[0][1],
                ),
            ),
            *(
                bank.event(
                    str(loan_id),
                    lo.LoanDisbursedV1(**fact, amount=fen, disbursed_on=on, outstanding=total),
                )
                for fen, on in tranches
            ),
        ]

    def certificate(hid: UUID, village: str, holder: str, on: date, **more: Any) -> Envelope:
        issued = certificate_issued(centre_id, hid, village, holder, on, **more)
        return centre.event(str(issued.certificate_id), issued)

    def revoked(issue: Envelope, on: date) -> Envelope:
        d = issue.data
        return centre.event(
            issue.subject,
            tr.CertificateRevokedV1(
                centre_id=centre_id,
                certificate_id=d["certificate_id"],
                number=d["number"],
                household_id=d["household_id"],
                id_number_hash=d["id_number_hash"],
                revoked_on=on,
                reason="鉴定材料不实",
            ),
        )

    def completed(hid: UUID, holder: str, on: date) -> Envelope:
        enrolment = uuid4()
        kind = tr.ProgrammeKind.EMPLOYMENT_SKILLS
        return centre.event(
            str(enrolment),
            tr.CompletedV1(
                centre_id=centre_id,
                enrolment_id=enrolment,
                household_id=hid,
                id_number_hash=holder,
                kind=kind,
                completed_on=on,
            ),
        )

    def assisted(hid: UUID, village: str, holder: str, kind: str, fen: int) -> Envelope:
        """Seed 四.9(1): a 中职 student's grant or fee waived for 2017–18."""
        aid = uuid4()
        return centre.event(
            str(aid),
            tr.EducationAssistanceRecordedV1(
                assistance_id=aid,
                county_code=village[:6],
                household_id=hid,
                village_code=village,
                id_number_hash=holder,
                id_number_masked="6211**********0002",
                academic_year=2017,
                level=tr.SchoolingLevel.SECONDARY_VOCATIONAL,
                kind=tr.AssistanceKind(kind),
                school="职业中专",
                amount_fen=fen,
                decided_on=date(2017, 10, 15),
            ),
        )

    head_b, child_e, head_e = (
        s.b_members[0].id_number_hash,
        s.e_members[2].id_number_hash,
        s.e_members[0].id_number_hash,
    )
    M, H = LoanProduct.MICROCREDIT, LoanProduct.HOUSING
    loans = [
        *loan(s.a, V1, M, (5_000_000, date(2016, 6, 1))),
        *loan(s.e, V4, H, (3_000_000, date(2016, 8, 1)), (2_000_000, date(2017, 2, 1))),
        *loan(s.d, V2, M, (4_000_000, date(2016, 7, 1))),  # removed later
        *loan(s.c, V2, LoanProduct.STUDENT, (800_000, date(2016, 9, 1))),
    ]
    short_lived = certificate(s.e, V4, child_e, date(2016, 11, 1))
    training = [
        certificate(s.b, V1, head_b, date(2017, 5, 1)),
        revoked(short_lived, date(2017, 6, 1)),  # ahead of its issue
        short_lived,
        certificate(s.e, V4, head_e, date(2017, 3, 1), valid_until=date(2017, 12, 31)),
        completed(s.b, head_b, date(2017, 4, 1)),
        completed(s.g, "g" * 64, date(2016, 12, 1)),
        assisted(s.e, V4, child_e, "grant", 200_000),
        assisted(s.e, V4, child_e, "tuition_waiver", 180_000),
    ]
    return {Topic.LOANS: [*loans, loans[1]], Topic.TRAINING: [*training, training[0]]}


def applied_by(projection: Projection, envelopes: list[Envelope]) -> int:
    """Distinct events of a type the projection reads (after upcasting), as the kernel sees."""
    return len(
        {
            e.id
            for e in envelopes
            if type(catalogue.read(e.type, e.data, business_date(e.time))) in projection.handlers
        }
    )


# --- what is compared -----------------------------------------------------------------------


async def tables(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of both projections, every row, in primary-key order."""
    async with read_only(engine).connect() as conn:
        return {
            t.name: [tuple(row) for row in await conn.execute(select(t).order_by(*t.primary_key))]
            for t in [*PROJECTION.tables, *REACH.tables]
        }


async def own_events(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    """Evaluation's own stream (verdicts, warnings): what a replay must not add to."""
    e = event_store.c
    async with read_only(engine).connect() as conn:
        rows = await conn.execute(
            select(e.position, e.event_id, e.stream_id, e.type).order_by(e.position)
        )
        return [tuple(row) for row in rows]


ROLLUPS = [
    {"level": "county"},
    {"level": "village"},
    {"level": "village", "as_of": "2017-12-31"},
]


async def rollups(client) -> list[dict[str, Any]]:
    answers = [await client.get("/v1/rollups", params=params) for params in ROLLUPS]
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    stats = await client.get("/v1/stats")
    return [*(a.json() for a in answers), stats.json()]


async def caught_up(engine: AsyncEngine, projection: Projection, published: int) -> None:
    """The live consumer has stored, over all partitions, offsets past every message."""
    stored = await stored_offsets(engine, projection)
    assert sum(s.next_offset for s in stored.values()) == published, stored


async def relayed(engine: AsyncEngine) -> None:
    """The outbox relay has published everything in evaluation's event store."""
    async with read_only(engine).connect() as conn:
        head = await conn.scalar(select(func.coalesce(func.max(event_store.c.position), 0)))
        done = await conn.scalar(select(func.max(relay_checkpoints.c.position)))
    assert done == head, (done, head)


async def topic(settings: kafka.KafkaSettings, name: str) -> list[Envelope]:
    """Every message of a topic, read up to the high watermarks the fetches report (Tansu
    answers ListOffsets short of the end when producers batch)."""
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        found: list[Envelope] = []
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            found += [Envelope.from_json(m.value) for ms in batches.values() for m in ms]
            ends = {tp: consumer.highwater(tp) for tp in partitions}
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(end is not None and positions[tp] >= end for tp, end in ends.items()):
                return found
    finally:
        await consumer.stop()


# --- the test ---------------------------------------------------------------------------------


async def test_rebuilding_from_offset_zero_gives_exactly_the_live_state(
    database_url, kafka_settings
) -> None:
    await kafka.ensure_topics(
        kafka_settings, [Topic.REGISTRY, Topic.LOANS, Topic.TRAINING, Topic.EVALUATION]
    )
    scenario = Scenario()
    reached = programmes(scenario)
    for name, envelopes in reached.items():  # ahead of the households they name
        await publish(kafka_settings, name, *envelopes)
    await publish(kafka_settings, Topic.REGISTRY, *scenario.first)
    settings = EvaluationSettings(database_url=database_url, kafka=kafka_settings)

    live = app(settings)
    async with client_for(live) as client:
        engine = live.state.runtime.engine

        async def judged() -> dict[str, dict[str, Any]]:
            feed = (await client.get("/v1/events")).json()["items"]
            verdicts = [
                i["event"]["data"] for i in feed if i["event"]["type"] == ExitVerifiedV2.TYPE
            ]
            assert len(verdicts) == 3, verdicts
            return {v["household_id"]: v for v in verdicts}

        verdicts = await eventually(judged)
        assert [verdicts[str(h)]["passed"] for h in (scenario.a, scenario.b, scenario.c)] == [
            True,
            False,
            True,
        ]
        second = scenario.second(verdicts)
        await publish(kafka_settings, Topic.REGISTRY, *second)
        await eventually(lambda: caught_up(engine, PROJECTION, len(scenario.first) + len(second)))
        reach_events = [e for envelopes in reached.values() for e in envelopes]
        await eventually(lambda: caught_up(engine, REACH, len(reach_events)))
        # The reaction too, so every warning it raises and closes is in the stream.
        reaction = exit_judgement(live.state.runtime.store)
        await eventually(lambda: caught_up(engine, reaction, len(scenario.first) + len(second)))
        before = await tables(engine)
        reports = await rollups(client)
        stream = await own_events(engine)
        await eventually(lambda: relayed(engine))  # before stopping: no republish on restart

    everything = [*scenario.first, *second]
    assert all(before.values()), {name: len(rows) for name, rows in before.items()}
    failed = [c["name"] for c in verdicts[str(scenario.b)]["criteria"] if not c["passed"]]
    assert failed == ["medical_insurance", "housing_safe"]
    statuses = {row[0]: row[3] for row in before["households"]}
    assert [statuses[str(h)] for h in (scenario.a, scenario.b, scenario.c, scenario.d)] == [
        "exited",
        "assisting",
        "returned",
        "removed",
    ]
    assert len(before["households"]) == 10 and len(before["villages"]) == 4
    certificates = {(row[3] is not None, row[5] is not None) for row in before["certificates"]}
    assert certificates == {(True, False), (True, True)}  # the early revocation kept
    counties = {row["code"]: row for row in reports[0]["rows"]}
    county = counties["621121"]  # a's and c's loans (d's left with it), b's certificate
    assert (county["credit_disbursed_fen"], county["certified_households"]) == (5_800_000, 1)
    assert counties["622926"]["credit_households_by_product"] == {"housing": 1}
    assert counties["622926"]["certified_households"] == 0  # one revoked, one expired
    assert {row["code"]: row["certified_households"] for row in reports[2]["rows"]}[V4] == 1
    kinds = Counter(row[3] for row in stream)
    assert kinds[ExitVerifiedV2.TYPE] == 3 and kinds[ReturnWarningRaisedV1.TYPE] >= 1, kinds

    # In process, with the service stopped: what `tuopin-evaluation rebuild` runs.
    calls: list[tuple[int, int]] = []
    runtime = Runtime.open(spec, settings)
    try:
        applied = await runtime.rebuild(PROJECTION, lambda done, total: calls.append((done, total)))
        applied_reach = await runtime.rebuild(REACH)
        rebuilt = await tables(runtime.engine)
        stream_after = await own_events(runtime.engine)
    finally:
        await runtime.engine.dispose()

    assert applied == applied_by(PROJECTION, everything)
    assert applied_reach == applied_by(REACH, reach_events) < len(reach_events)
    for name in before:
        assert rebuilt[name] == before[name], name
    assert stream_after == stream  # no second verdict, no second warning
    read = len(everything)  # every message on the topic, duplicates included
    assert calls[-1] == (read, read) and {t for _, t in calls} == {read}
    assert [d for d, _ in calls] == sorted({d for d, _ in calls})  # rising, each told once

    # The service started again on the rebuilt read model answers the same roll-ups, and
    # what its relay published is evaluation's stream (at least once): three verdicts.
    restarted = app(settings)
    async with client_for(restarted) as client:
        assert await rollups(client) == reports
        await eventually(lambda: relayed(restarted.state.runtime.engine))
    out = await topic(kafka_settings, Topic.EVALUATION)
    assert {e.id for e in out} == {row[1] for row in stream}
    verdicts_out = {e.data["verification_id"] for e in out if e.type == ExitVerifiedV2.TYPE}
    assert verdicts_out == {v["verification_id"] for v in verdicts.values()}

    # Through the command line, as ops run it: a progress bar, the count, the same state.
    env = {
        "TUOPIN_EVALUATION_DATABASE_URL": database_url,
        "TUOPIN_EVALUATION_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
    }
    code, output = await service_command("evaluation", "rebuild", PROJECTION.name, env=env)
    assert code == 0, output
    assert f"rebuilt from zero, {applied} events applied ({read:,} read in" in output, output
    assert f"{read}/{read}" in output and "events/s" in output, output  # the bar, finished
    code, output = await service_command("evaluation", "rebuild", REACH.name, env=env)
    assert code == 0 and f"rebuilt from zero, {applied_reach} events applied" in output, output
    engine = create_engine(database_url)
    try:
        assert await tables(engine) == before
        assert await own_events(engine) == stream
    finally:
        await engine.dispose()
