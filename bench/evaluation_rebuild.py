"""Rebuild of evaluation's households read model for a generated province, from the topic.

Starts its own Tansu broker and produces to ``tuopin.registry.events`` what the registry
would have published for a province of N poor households (default 970,000, the seed's
figure): ~6,500 villages of ~150 households under 75 Gansu county codes (GB/T 2260 codes
of Gansu counties, townships and villages numbered within them; not the official list of
poverty counties), each village registered with its rural population, then, in the order
the years would bring them:

1. the filings (建档立卡, ``registered.v2``) with their members (≈4.3 a household);
2. 2015–2016: incomes, living conditions, assistance started, members joining, leaving
   and changing, responsible cadres (an event type this projection does not read);
3. 2016: exit proposals, public notices (each judged by evaluation, which appends a
   verdict to its own event store) and the registry's answers (exited, or rejected);
4. 2017–2018: incomes, returns to poverty, removals, village profiles.

The messages are envelopes as the registry's relay writes them, serialised up front per
chunk of households (memory stays bounded) and produced with ``producer.send`` gathered
per chunk, with the kernel's producer settings: the time of the sends alone is the raw
produce figure of this run, which the rebuild is compared with.

Then the topic is read back with raw aiokafka, every envelope parsed
(``Envelope.from_json``): the consume + parse baseline a rebuild is judged against, since
a rebuild can never be faster than reading and parsing what it replays.

Then ``ProjectionConsumer(...).rebuild()`` of ``evaluation.households`` is timed into a
fresh SQLite file and, when a server is given, a fresh PostgreSQL database, each migrated
with ``tuopin_eventkit.migrate.upgrade(engine, spec.migrations)`` first (not timed). Each
rebuild runs in a child process of its own, so that its peak memory is its own: the peak
resident set size of that process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``:
interpreter, imports, migration and rebuild), not a tracemalloc figure.

Every figure is taken in a child process of its own: events per CPU-second of that process
(``time.process_time()``, every thread of it: aiosqlite runs SQLite in a thread), which
stays steady on a shared machine, and wall seconds; its peak RSS; and the ratio of its
CPU rate to the consume + parse baseline. The figures go to ``bench/results/`` as JSON
(``--results``) so that the next change can be compared. Nothing is asserted.

Run from the workspace root:

    .venv/bin/python -m bench.evaluation_rebuild [--households N]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--only sqlite|postgres]
        [--kafka-port PORT] [--db-prefix tuopin_bench] [--results PATH] [--profile]

``--postgres`` defaults to ``$TUOPIN_TEST_POSTGRES_URL``; without either, only SQLite runs.
``--kafka-port`` is the port Tansu listens on (default: a free one); ``--db-prefix`` starts
the names of the temporary directory and PostgreSQL database it creates (and drops).
``--profile`` runs the SQLite rebuild under cProfile and prints where the time goes (the
event loop's thread only: aiosqlite runs SQLite in a thread of its own, whose time shows
as waiting in the loop).
"""

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import pydantic_core
from aiokafka import TopicPartition
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from tuopin_contracts import Envelope, Topic, catalogue
from tuopin_contracts.catalogue import EventData
from tuopin_contracts.dates import business_date
from tuopin_contracts.events import registry as r
from tuopin_contracts.events.evaluation import ExitVerifiedV2
from tuopin_eventkit import broker, kafka, migrate
from tuopin_eventkit.consumer import ProjectionConsumer
from tuopin_eventkit.db import create_engine, read_only
from tuopin_eventkit.schema import events as event_store
from tuopin_eventkit.testing import fresh_postgres_database

PROVINCE_HOUSEHOLDS = 970_000
RESULTS = Path(__file__).parent / "results"
SEED = 2016
CHUNK = 5_000  # households generated, serialised and produced at a time
VILLAGE_SIZE = (100, 200)  # households per village, uniformly: ~150
VILLAGES_PER_TOWNSHIP = 8
SIZES = {1: 5, 2: 11, 3: 16, 4: 22, 5: 21, 6: 14, 7: 7, 8: 4}  # members: weight (mean 4.33)
SOURCE = "/tuopin/registry"

# Gansu county codes (GB/T 2260) by city: Lanzhou, Jinchang, Baiyin, Tianshui, Wuwei,
# Zhangye, Pingliang, Jiuquan, Qingyang, Dingxi, Longnan, Linxia, Gannan.
COUNTIES = [
    *("620111", "620121", "620122", "620123", "620321", "620403", "620421", "620422"),
    *("620423", "620502", "620503", "620521", "620522", "620523", "620524", "620525"),
    *("620602", "620621", "620622", "620623", "620702", "620721", "620722", "620723"),
    *("620724", "620725", "620802", "620821", "620822", "620823", "620825", "620826"),
    *("620881", "620921", "620922", "620981", "621021", "621022", "621023", "621024"),
    *("621025", "621026", "621027", "621102", "621121", "621122", "621123", "621124"),
    *("621125", "621126", "621202", "621221", "621222", "621223", "621224", "621225"),
    *("621226", "621227", "621228", "622901", "622921", "622922", "622923", "622924"),
    *("622925", "622926", "622927", "623001", "623021", "623022", "623023", "623024"),
    *("623025", "623026", "623027"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = "明华建国志强秀英桂兰玉梅海军小平文杰子涵丽娟永福春花金宝红霞德胜"
CAUSES = [
    "illness",
    "disability",
    "schooling",
    "disaster",
    "lack_of_land",
    "lack_of_water",
    "lack_of_technology",
    "lack_of_labour",
    "lack_of_funds",
    "lack_of_transport",
    "own_effort",
]
LINE = {2015: 285_500, 2016: 295_200, 2017: 333_500, 2018: 362_000}  # fen, for the incomes


# --- the province ------------------------------------------------------------------------


@dataclass(frozen=True)
class Village:
    code: str
    households: int
    first: int  # index of its first household
    poor: bool
    population: int  # rural population (农村户籍人口)


def villages(households: int) -> list[Village]:
    """Villages of ~150 households until ``households`` are placed, spread over the
    counties with uneven weights (some counties are much poorer than others)."""
    rng = random.Random(f"{SEED}:villages")
    weights = [rng.uniform(0.3, 2.0) for _ in COUNTIES]
    per_county: dict[str, int] = {}
    found, placed = [], 0
    while placed < households:
        size = min(rng.randint(*VILLAGE_SIZE), households - placed)
        county = rng.choices(COUNTIES, weights)[0]
        k = per_county[county] = per_county.get(county, -1) + 1
        township, number = divmod(k, VILLAGES_PER_TOWNSHIP)
        poor = rng.random() < 0.85
        incidence = rng.uniform(0.12, 0.40) if poor else rng.uniform(0.03, 0.10)
        population = int(size * 4.33 / incidence)
        code = f"{county}{100 + township:03d}{200 + number:03d}"
        found.append(Village(code, size, placed, poor, population))
        placed += size
    return found


def uid(kind: int, n: int) -> UUID:
    """A deterministic, unique id: ``kind`` in the top byte, ``n`` in the low bits."""
    return UUID(int=(kind << 120) | n, version=4)


@dataclass
class Household:
    """One household's fate, drawn once per chunk; its events in order are ``plan``."""

    index: int
    village: Village
    size: int
    plan: list[tuple[int, str]] = field(default_factory=list)  # (phase, step)

    @property
    def id(self) -> UUID:
        return uid(0xC1, self.index)

    def person(self, k: int) -> UUID:
        return uid(0xA7, (self.index << 5) | k)

    def event_id(self, step: int) -> UUID:
        return uid(0xE5, (self.index << 6) | step)


def fates(chunk: range, by_index: list[Village]) -> list[Household]:
    """The households of a chunk, the same whichever phase asks (a seeded draw per chunk)."""
    rng = random.Random(f"{SEED}:fates:{chunk.start}")
    sizes, weights = list(SIZES), list(SIZES.values())
    homes = []
    for i in chunk:
        h = Household(i, by_index[i], rng.choices(sizes, weights)[0])
        plan = h.plan
        plan.append((1, "registered"))
        if rng.random() < 0.3:
            plan.append((2, "cadre"))  # not read by the projection
        if rng.random() < 0.6:
            plan.append((2, "income-2015"))
        if rng.random() < 0.4:
            plan.append((2, "conditions"))
        assisting = rng.random() < 0.8
        if assisting:
            plan.append((2, "assistance"))
        if rng.random() < 0.03:
            plan.append((2, "member-added"))
        if rng.random() < 0.02 and h.size > 1:
            plan.append((2, "member-removed"))
        if rng.random() < 0.05:
            plan.append((2, "member-updated"))
        if rng.random() < 0.7:
            plan.append((2, "income-2016"))
        exited = assisting and rng.random() < 0.25
        if exited:
            plan += [(3, "exit-proposed"), (4, "exit-publicised")]
            exited = rng.random() < 0.9
            plan.append((5, "exited" if exited else "exit-rejected"))
        if rng.random() < 0.5:
            plan.append((6, "income-2017"))
        if exited and rng.random() < 0.03:
            plan.append((6, "returned"))
        elif rng.random() < 0.01:
            plan.append((6, "removed"))
        homes.append(h)
    return homes


PHASES = {
    1: "filings",
    2: "2015–2016 facts",
    3: "exit proposals",
    4: "exit notices",
    5: "exit answers",
    6: "2017–2018",
}


class Stream:
    """Serialises the registry's envelopes for the steps of one phase: recorded on the
    morning of their business date (entered on time), or all at ``recorded`` (back-filled
    late, ``bench.backfill``)."""

    def __init__(self, rng: random.Random, recorded: datetime | None = None) -> None:
        self.rng, self.recorded = rng, recorded

    def envelope(
        self,
        event_id: UUID,
        subject: str,
        sequence: int,
        model: type[EventData],
        data: dict[str, Any],
    ) -> tuple[bytes, bytes]:
        on = date.fromisoformat(data["effective_date"])
        when = self.recorded or datetime(on.year, on.month, on.day, 2, tzinfo=UTC)
        when += timedelta(seconds=self.rng.randrange(36_000))
        envelope = {
            "specversion": "1.0",
            "id": str(event_id),
            "source": SOURCE,
            "type": model.TYPE,
            "subject": subject,
            "time": when.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "data": data,
            "sequence": sequence,
            "correlationid": str(event_id),
            "actor": f"office-{subject[:6] if subject[0] == '6' else 'county'}",
        }
        return subject.encode(), pydantic_core.to_json(envelope)

    def member(self, h: Household, k: int, head_born: int) -> dict[str, Any]:
        rng = self.rng
        if k == 0:
            relation, born = "head", head_born
        elif k == 1 and h.size > 2:
            relation, born = "spouse", head_born + rng.randint(-3, 5)
        elif k >= 2 and rng.random() < 0.2:
            relation, born = "parent", head_born - rng.randint(22, 32)
        else:
            relation, born = "child", head_born + rng.randint(20, 35)
        birth = date(min(born, 2016), rng.randint(1, 12), rng.randint(1, 28))
        age = 2016 - birth.year
        schooling = None
        if 3 <= age <= 18:
            schooling = (
                "preschool"
                if age < 6
                else "primary"
                if age < 12
                else "junior_secondary"
                if age < 15
                else rng.choice(["senior_secondary", "vocational", "not_in_school"])
            )
        number = f"{h.village.code[:6]}{birth:%Y%m%d}{rng.randrange(1000):03d}{rng.randrange(10)}"
        return {
            "person_id": str(h.person(k)),
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "id_number_hash": f"{rng.getrandbits(256):064x}",
            "id_number_masked": f"{number[:4]}**********{number[-4:]}",
            "relation": relation,
            "sex": rng.choice(["male", "female"]),
            "birth_date": birth.isoformat(),
            "education": rng.choice(["none", "primary", "junior_secondary"]),
            "schooling": schooling,
            "health": rng.choices(["healthy", "chronic_illness", "serious_illness"], [8, 2, 1])[0],
            "disabled": rng.random() < 0.05,
            "labour_ability": "full" if 18 <= age <= 60 else "not_working_age",
            "medical_insurance": rng.random() < 0.95,
            "pension_insurance": 18 <= age and rng.random() < 0.7,
        }

    def step(self, h: Household, sequence: int, step: str) -> tuple[bytes, bytes]:
        rng, hid = self.rng, str(h.id)
        fact: dict[str, Any] = {"household_id": hid}

        def out(model: type, on: date, **data: Any) -> tuple[bytes, bytes]:
            payload = {**fact, "effective_date": on.isoformat(), **data}
            return self.envelope(h.event_id(sequence), hid, sequence, model, payload)

        def day(year: int, first_month: int = 1, last_month: int = 12) -> date:
            return date(year, rng.randint(first_month, last_month), rng.randint(1, 28))

        def status(model: type, on: date, to: str, **more: Any) -> tuple[bytes, bytes]:
            return out(model, on, status=to, **more)

        if step == "registered":
            head_born = rng.randint(1940, 1990)
            on = day(rng.choice([2014, 2015, 2016]))
            return out(
                r.HouseholdRegisteredV2,
                on,
                reason=None,
                file_number=f"{h.village.code}{h.index % 10_000:04d}",
                county_code=h.village.code[:6],
                village_code=h.village.code,
                poverty_attribute=rng.choices(
                    ["general", "subsistence_allowance", "five_guarantees"], [7, 2, 1]
                )[0],
                primary_cause=rng.choice(CAUSES),
                secondary_causes=rng.sample(CAUSES, rng.randint(0, 2)),
                members=[self.member(h, k, head_born) for k in range(h.size)],
                identified_year=on.year,
            )
        if step.startswith("income-"):
            year = int(step[-4:])
            per_head = int(LINE[year] * rng.uniform(0.5, 2.2))
            total = per_head * h.size
            wages = total * rng.randint(30, 70) // 100
            return out(
                r.IncomeRecordedV1,
                date(year + 1, 1, rng.randint(5, 25)),
                year=year,
                wages=wages,
                production_and_business=total - wages,
                property=0,
                transfers=0,
                members=h.size,
                per_head=per_head,
            )
        if step == "conditions":
            return out(
                r.ConditionsAssessedV1,
                day(2016, 3, 9),
                housing_safe=rng.random() < 0.85,
                drinking_water_safe=rng.random() < 0.9,
            )
        if step == "cadre":
            return out(
                r.ResponsibilityAssignedV1,
                day(2015),
                cadre_name="驻村干部",
                cadre_unit=f"{h.village.code[:6]}县扶贫办",
            )
        if step == "assistance":
            return status(r.AssistanceStartedV1, day(2015, 1, 6), "assisting")
        if step == "member-added":
            member = self.member(h, h.size, rng.randint(1950, 1990))
            member |= {
                "relation": "grandchild",
                "birth_date": "2016-03-01",
                "schooling": None,
                "labour_ability": "not_working_age",
            }
            return out(r.MemberAddedV1, day(2016, 3, 12), member=member)
        if step == "member-removed":
            return out(
                r.MemberRemovedV1,
                day(2016, 1, 12),
                person_id=str(h.person(h.size - 1)),
                reason="去世",
            )
        if step == "member-updated":
            return out(
                r.MemberUpdatedV1,
                day(2016, 1, 12),
                person_id=str(h.person(0)),
                medical_insurance=True,
            )
        if step == "exit-proposed":
            return status(
                r.ExitProposedV1, date(2016, 9, 20), "exit_proposed", appraisal_date="2016-09-20"
            )
        if step == "exit-publicised":
            return status(
                r.ExitPublicisedV1,
                date(2016, 10, 1),
                "exit_publicised",
                notice_from="2016-10-01",
                notice_until="2016-10-07",
            )
        if step in ("exited", "exit-rejected"):
            notice = h.event_id(sequence - 1)  # the notice comes right before the answer
            verification = str(uuid5(NAMESPACE_URL, f"tuopin:exit-notice:{notice}"))
            if step == "exited":
                return status(
                    r.HouseholdExitedV1, date(2016, 10, 9), "exited", verification_id=verification
                )
            return status(
                r.ExitRejectedV1,
                date(2016, 10, 9),
                "assisting",
                verification_id=verification,
                failed_criteria=["housing_safe"],
            )
        if step == "returned":
            return status(r.ReturnedToPovertyV1, day(2018, 1, 6), "returned", cause="illness")
        if step == "removed":
            return status(r.HouseholdRemovedV1, day(2017), "removed", reason="识别不准")
        raise ValueError(step)


def village_messages(
    all_villages: list[Village], phase: int, recorded: datetime | None = None
) -> Iterator[tuple[bytes, bytes]]:
    """Phase 1: every village registered; phase 6: a profile for a third of them."""
    rng = random.Random(f"{SEED}:village-events:{phase}")
    stream = Stream(rng, recorded)
    for n, v in enumerate(all_villages):
        if phase == 1:
            yield stream.envelope(
                uid(0xB1, n),
                v.code,
                1,
                r.VillageRegisteredV1,
                {
                    "village_code": v.code,
                    "effective_date": "2015-12-31",
                    "name": f"{v.code[-3:]}村",
                    "poor": v.poor,
                    "rural_population": v.population,
                    "hardship_belt": "六盘山片区" if v.poor else None,
                },
            )
        elif rng.random() < 0.33:
            yield stream.envelope(
                uid(0xB2, n),
                v.code,
                2,
                r.VillageProfileRecordedV1,
                {
                    "village_code": v.code,
                    "effective_date": "2017-12-31",
                    "poor": v.poor,
                    "rural_population": v.population + rng.randint(-50, 50),
                    "cooperatives": rng.randint(0, 4),
                    "mutual_aid_fund": 50_000_000,
                },
            )


def household_messages(
    chunk: range, by_index: list[Village], phase: int, recorded: datetime | None = None
) -> list[tuple[bytes, bytes]]:
    stream = Stream(random.Random(f"{SEED}:events:{chunk.start}:{phase}"), recorded)
    return [
        stream.step(h, sequence, step)
        for h in fates(chunk, by_index)
        for sequence, (in_phase, step) in enumerate(h.plan, start=1)
        if in_phase == phase
    ]


def check(messages: list[tuple[bytes, bytes]]) -> None:
    """The generated messages are what the contracts accept (a sample of each phase)."""
    for _, value in messages[:200]:
        envelope = Envelope.from_json(value)
        catalogue.read(envelope.type, envelope.data, business_date(envelope.time))


# --- producing ---------------------------------------------------------------------------


@dataclass
class Produced:
    messages: int = 0
    households: int = 0
    bytes: int = 0
    seconds: float = 0.0  # the sends alone, not the generation

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def on_time(households: int) -> Iterator[tuple[str, list[tuple[bytes, bytes]]]]:
    """The registry's messages as the years brought them: phase by phase, each event
    recorded on its business date. Yields (phase name, a chunk of messages)."""
    all_villages = villages(households)
    by_index = [v for v in all_villages for _ in range(v.households)]
    for phase, name in PHASES.items():
        if phase in (1, 6):
            villages_now = list(village_messages(all_villages, phase))
            for first in range(0, len(villages_now), CHUNK):
                yield name, villages_now[first : first + CHUNK]
        for first in range(0, households, CHUNK):
            chunk = range(first, min(first + CHUNK, households))
            yield name, household_messages(chunk, by_index, phase)


async def produce(
    settings: kafka.KafkaSettings,
    households: int,
    source: Callable[[int], Iterator[tuple[str, list[tuple[bytes, bytes]]]]] = on_time,
) -> Produced:
    await kafka.ensure_topics(settings, [Topic.REGISTRY])
    result = Produced(households=households)
    producer = kafka.producer(settings)
    await producer.start()

    async def send(messages: list[tuple[bytes, bytes]]) -> None:
        check(messages)
        start = time.perf_counter()
        sent = [await producer.send(Topic.REGISTRY, value, key=key) for key, value in messages]
        await asyncio.gather(*sent)
        result.seconds += time.perf_counter() - start
        result.messages += len(messages)
        result.bytes += sum(len(value) for _, value in messages)

    try:
        counts: dict[str, int] = {}
        for name, messages in source(households):
            await send(messages)
            counts[name] = counts.get(name, 0) + len(messages)
        for name, count in counts.items():
            print(f"  {name}: {count:,} events", flush=True)
    finally:
        await producer.stop()
    return result


# --- rebuilding (in a child process) -------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


async def rebuild(bootstrap: str, url: str, profile: str | None) -> dict[str, Any]:
    from tuopin_evaluation.application.facts import households, members
    from tuopin_evaluation.entrypoints.app import spec

    settings = kafka.KafkaSettings(bootstrap_servers=bootstrap)
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        consumer = ProjectionConsumer(engine, spec.projection("evaluation.households"), settings)
        last = [time.perf_counter()]
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] >= 15 or done == total:
                last[0] = now
                rate = done / max(now - started, 1e-9)
                print(f"    {done:,}/{total:,} events, {rate:,.0f} events/s", file=sys.stderr)

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        applied = await consumer.rebuild(progress)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        if profiler and profile:  # one is set with the other
            profiler.disable()
            profiler.dump_stats(profile)
        async with read_only(engine).connect() as conn:
            counted = {
                "households": await conn.scalar(select(func.count()).select_from(households)),
                "members": await conn.scalar(select(func.count()).select_from(members)),
                "own_events": await conn.scalar(select(func.count()).select_from(event_store)),
                "verdicts": await conn.scalar(
                    select(func.count()).where(event_store.c.type == ExitVerifiedV2.TYPE)
                ),
            }
            if engine.dialect.name == "postgresql":
                size = await conn.scalar(select(func.pg_database_size(func.current_database())))
                counted["database_mib"] = size / 2**20
            counted["yearly"] = await yearly_figures(conn)
        return {
            "applied": applied,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "peak_rss_mib": peak_rss_mib(),
            **counted,
        }
    finally:
        await engine.dispose()


YEAR_ENDS = [date(year, 12, 31) for year in range(2014, 2019)]


async def yearly_figures(conn: Any) -> dict[str, list[dict[str, Any]]]:
    """The province's figures by city at each year's end: what a back-fill must reproduce."""
    from tuopin_evaluation.application.rollups import rollups

    figures = {}
    for day in YEAR_ENDS:
        found = await rollups(conn, "620000", "city", day)
        figures[str(day)] = json.loads(json.dumps([asdict(r) for r in found.rows], default=str))
    return figures


async def consume_and_parse(bootstrap: str) -> dict[str, Any]:
    """The baseline: every message of the topic read with raw aiokafka (the settings a
    catch-up uses) and its envelope parsed, nothing else."""
    settings = kafka.KafkaSettings(bootstrap_servers=bootstrap)
    consumer = kafka.consumer(settings, group_id=None, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = [
            TopicPartition(Topic.REGISTRY, p)
            for p in sorted(consumer.partitions_for_topic(Topic.REGISTRY) or ())
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        started, cpu = time.perf_counter(), time.process_time()
        read = 0
        while True:
            # Tansu's ListOffsets may fall short of the end (see consumer._Ends): the
            # high watermark of the fetches is the end.
            for tp in partitions:
                ends[tp] = max(ends[tp], consumer.highwater(tp) or 0)
            positions = [await consumer.position(tp) for tp in partitions]
            if all(p >= ends[tp] for p, tp in zip(positions, partitions, strict=True)) and all(
                consumer.highwater(tp) is not None or ends[tp] == 0 for tp in partitions
            ):
                break
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            for records in batches.values():
                for record in records:
                    Envelope.from_json(record.value)
                read += len(records)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await consumer.stop()
    return {
        "applied": read,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mib": peak_rss_mib(),
    }


def child(args: argparse.Namespace) -> None:
    if args.database_url == "-":
        print(json.dumps(asyncio.run(consume_and_parse(args.bootstrap))))
        return
    result = asyncio.run(rebuild(args.bootstrap, args.database_url, args.profile_to))
    path = make_url(args.database_url).database
    if args.database_url.startswith("sqlite") and path:
        result["database_mib"] = os.path.getsize(path) / 2**20
    print(json.dumps(result))


def rebuild_in_child(bootstrap: str, url: str, profile: str | None) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.evaluation_rebuild",
        "--child",
        "--bootstrap",
        bootstrap,
        "--database-url",
        url,
    ]
    if profile:
        command += ["--profile-to", profile]
    done = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def print_profile(path: str) -> None:
    stats = pstats.Stats(path)
    for order in ("tottime", "cumulative"):
        print(f"\n--- cProfile of the SQLite rebuild, top 25 by {order} ---")
        stats.sort_stats(order).print_stats(25)


# --- report ------------------------------------------------------------------------------


def tansu_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def figures(produced: Produced, rows: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Every figure of the run, as written to ``bench/results/``: per CPU-second of the
    measuring process and per wall second, and the ratio to consume + parse (CPU)."""
    n, baseline = produced.households, dict(rows)["consume + parse"]
    base_rate = produced.messages / baseline["cpu_seconds"]
    out: dict[str, Any] = {
        "bench": "evaluation_rebuild",
        "households": n,
        "events": produced.messages,
        "bytes": produced.bytes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_at_end": os.getloadavg(),
        "raw_produce": {"seconds": produced.seconds, "events_per_s": produced.rate},
        "runs": {},
    }
    for name, row in rows:
        rate = produced.messages / row["cpu_seconds"]
        out["runs"][name] = {
            **row,
            "events_per_cpu_s": rate,
            "events_per_wall_s": produced.messages / row["seconds"],
            "households_per_cpu_s": n / row["cpu_seconds"],
            "ratio_to_consume_parse": rate / base_rate,
        }
    return out


def report(result: dict[str, Any]) -> None:
    print()
    print(
        f"households {result['households']:,}, events on the topic {result['events']:,} "
        f"({result['bytes'] / result['events']:,.0f} B average, "
        f"{result['bytes'] / 2**20:,.0f} MiB); raw produce "
        f"{result['raw_produce']['events_per_s']:,.0f} events/s (wall)"
    )
    header = (
        f"{'figure':<22} {'CPU s':>8} {'events/CPU-s':>13} {'wall s':>8} {'events/s':>10} "
        f"{'peak RSS':>10} {'vs c+p':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, row in result["runs"].items():
        label = name if name == "consume + parse" else f"rebuild {name}"
        print(
            f"{label:<22} {row['cpu_seconds']:>8.1f} {row['events_per_cpu_s']:>13,.0f} "
            f"{row['seconds']:>8.1f} {row['events_per_wall_s']:>10,.0f} "
            f"{row['peak_rss_mib']:>6,.0f} MiB {row['ratio_to_consume_parse']:>7.3f}"
        )
    for name, row in result["runs"].items():
        if name == "consume + parse":
            continue
        print(
            f"  {name}: {row['applied']:,} events applied, {row['households']:,} households, "
            f"{row['members']:,} members, {row['verdicts']:,} exit verdicts appended "
            f"({row.get('own_events', 0):,} events in evaluation's store), "
            f"database {row.get('database_mib', 0):,.0f} MiB"
        )
    print(
        "events/CPU-s counts every message read (applied, or skipped as not the projection's)"
        " per CPU-second of the measuring process (all its threads); vs c+p is its ratio to"
        " raw aiokafka consume + envelope parse; peak RSS is ru_maxrss of that process;"
        f" load average at the end {', '.join(f'{x:.2f}' for x in result['load_average_at_end'])}."
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--households",
        type=int,
        default=PROVINCE_HOUSEHOLDS,
        help=f"N (default {PROVINCE_HOUSEHOLDS:,}, the province)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("TUOPIN_TEST_POSTGRES_URL"),
        help="PostgreSQL server URL (default: $TUOPIN_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    parser.add_argument("--profile", action="store_true", help="cProfile the SQLite rebuild")
    parser.add_argument("--kafka-port", type=int, help="Tansu's port (default: a free one)")
    parser.add_argument(
        "--db-prefix",
        default="tuopin_bench",
        help="start of the temporary directory's and PostgreSQL database's names",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="where to write the figures as JSON "
        "(default: bench/results/evaluation_rebuild-<households>.json)",
    )
    # Internal: the rebuild in its child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    tansu = broker.start(args.kafka_port)
    try:
        settings = kafka.KafkaSettings(bootstrap_servers=tansu.bootstrap_servers)
        print(
            f"Tansu on {tansu.bootstrap_servers}; generating and producing "
            f"{args.households:,} households",
            flush=True,
        )
        produced = await produce(settings, args.households)
        print(
            f"  produced in {produced.seconds:.1f} s of sends ({produced.rate:,.0f} events/s);"
            f" generator peak RSS {peak_rss_mib():,.0f} MiB,"
            f" Tansu RSS {tansu_rss_mib(tansu.process.pid) or 0:,.0f} MiB",
            flush=True,
        )
        print("consuming and parsing the topic (the baseline)", flush=True)
        rows = [
            (
                "consume + parse",
                await asyncio.to_thread(rebuild_in_child, settings.bootstrap_servers, "-", None),
            )
        ]
        with tempfile.TemporaryDirectory(prefix=f"{args.db_prefix}_") as directory:
            if args.only in (None, "sqlite"):
                profile = str(Path(directory) / "rebuild.prof") if args.profile else None
                url = f"sqlite+aiosqlite:///{directory}/evaluation.db"
                print("rebuilding into SQLite", flush=True)
                row = await asyncio.to_thread(
                    rebuild_in_child, settings.bootstrap_servers, url, profile
                )
                rows.append(("sqlite", row))
                if profile:
                    print_profile(profile)
            if args.postgres and args.only in (None, "postgres"):
                async with fresh_postgres_database(args.postgres, prefix=args.db_prefix) as url:
                    print("rebuilding into PostgreSQL", flush=True)
                    row = await asyncio.to_thread(
                        rebuild_in_child, settings.bootstrap_servers, url, None
                    )
                    rows.append(("postgres", row))
        result = figures(produced, rows)
        report(result)
        path = args.results or RESULTS / f"evaluation_rebuild-{args.households}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"figures written to {path}")
    finally:
        tansu.stop()


if __name__ == "__main__":
    arguments_ = arguments()
    if arguments_.child:
        child(arguments_)
    else:
        asyncio.run(main(arguments_))
