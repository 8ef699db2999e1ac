"""A generated province of N poor households for the benches that replay the registry's
topic (``bench.evaluation_rebuild``, ``bench.backfill``, ``bench.reads``): ~6,500 villages of
~150 households under 75 Gansu county codes (GB/T 2260 codes of Gansu counties, townships
and villages numbered within them; not the official list of poverty counties), each
village registered with its rural population, then, in the order the years would bring
them (``PHASES``):

1. the filings (建档立卡, ``registered.v2``) with their members (≈4.3 a household);
2. 2015–2016: incomes, living conditions, assistance started, members joining, leaving
   and changing, responsible cadres (an event type evaluation's projection does not read);
3. 2016: exit proposals, public notices (each judged by evaluation, which appends a
   verdict to its own event store) and the registry's answers (exited, or rejected);
4. 2017–2018: incomes, returns to poverty, removals, village profiles.

Deterministic: the same N gives the same events, whichever phase or bench asks. ``produce``
sends them to a broker's registry topic as its relay would, timing the sends alone."""

import asyncio
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from bench.province_events import Stream
from tuopin_contracts import Envelope, Topic, catalogue
from tuopin_contracts.dates import business_date
from tuopin_contracts.events import registry as reg
from tuopin_eventkit.messaging import kafka

PROVINCE_HOUSEHOLDS = 970_000
SEED = 2016
CHUNK = 5_000  # households generated, serialised and produced at a time
VILLAGE_SIZE = (100, 200)  # households per village, uniformly: ~150
VILLAGES_PER_TOWNSHIP = 8
SIZES = {1: 5, 2: 11, 3: 16, 4: 22, 5: 21, 6: 14, 7: 7, 8: 4}  # members: weight (mean 4.33)

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
                reg.VillageRegisteredV1,
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
                reg.VillageProfileRecordedV1,
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
