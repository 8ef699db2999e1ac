"""A third-party assessment (第三方评估) of one county's poverty work in one year.

An independent assessor draws a stratified random sample of the county's registered
households (poor or exited), visits each sampled household and records what was found,
surveys people who are *not* on the register, and publishes three rates (2017 formulas):

- wrong-exit rate (错退率) = people of sampled exited households found wrongly exited
  / people of the sampled exited households;
- missed-identification rate (漏评率) = poor people found among the non-registered people
  surveyed / non-registered people surveyed;
- approval rate (群众认可度) = sampled households approving / sampled households that
  answered.

Each rate is a ``Decimal`` quantised to 4 places with ROUND_HALF_UP; a rate whose
denominator is zero is 0 and flagged ``undefined``.

Sampling: strata are villages; the sample size is allocated proportionally to each
village's households, at least one per non-empty village, by largest remainders; within a
village the households are drawn with ``random.Random(seed)`` from the population sorted
by household id, villages in code order — the same seed and population give the same
sample.
"""

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from tuopin_eventkit.store.aggregate import Aggregate, Conflict, InvalidTransition, RuleViolation

EXITED = "exited"
PLACES = Decimal("0.0001")


# --- the sample -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Unit:
    """A household of the sampling frame, as the register stood when the sample was drawn."""

    household_id: str
    village_code: str
    status: str
    people: int  # registered members at the draw; the finding records those actually covered

    @property
    def exited(self) -> bool:
        return self.status == EXITED


@dataclass(frozen=True, kw_only=True)
class Stratum:
    """A village: its households in the frame and how many of them are sampled."""

    village_code: str
    population: int
    allocated: int


def allocate(population: Mapping[str, int], sample_size: int) -> dict[str, int]:
    """Split ``sample_size`` over the strata in proportion to their ``population``, with at
    least one per non-empty stratum, by largest remainders.

    Each stratum's quota is ``n·N_h/N``; it first gets the quota's whole part (at least 1).
    Units still to place go one each to the strata with the largest fractional remainder;
    when the minimum of one overshoots, units are taken back one at a time from strata above
    one that are most over their quota. Ties go to the lower village code.
    """
    sizes = {code: size for code, size in population.items() if size > 0}
    total = sum(sizes.values())
    if not sizes:
        raise RuleViolation("the sampling frame is empty: no households to sample")
    if sample_size > total:
        raise RuleViolation(
            f"a sample of {sample_size} exceeds the {total} households in the frame"
        )
    if sample_size < len(sizes):
        raise RuleViolation(
            f"a sample of {sample_size} cannot give each of the {len(sizes)} villages "
            "at least one household"
        )
    quota = {code: Fraction(sample_size * size, total) for code, size in sizes.items()}
    given = {code: max(1, int(q)) for code, q in quota.items()}
    short = sample_size - sum(given.values())
    if short > 0:
        # largest remainder first; short < the number of strata with a positive remainder
        ranked = sorted(sizes, key=lambda code: (given[code] - quota[code], code))
        for code in ranked[:short]:
            given[code] += 1
    while short < 0:
        # the minimum of one overshot: take back from the stratum most over its quota
        code = min((c for c in sizes if given[c] > 1), key=lambda c: (quota[c] - given[c], c))
        given[code] -= 1
        short += 1
    return given


def draw_sample(
    population: Iterable[Unit], sample_size: int, seed: int
) -> tuple[tuple[Stratum, ...], tuple[Unit, ...]]:
    """The strata with their allocation, and the sampled households (village by village,
    each village's in household-id order)."""
    frame = sorted(population, key=lambda u: u.household_id)
    if len({u.household_id for u in frame}) != len(frame):
        raise RuleViolation("the sampling frame lists a household twice")
    by_village: dict[str, list[Unit]] = defaultdict(list)
    for unit in frame:
        by_village[unit.village_code].append(unit)
    allocation = allocate({v: len(units) for v, units in by_village.items()}, sample_size)
    rng = random.Random(seed)
    strata, sample = [], []
    for village in sorted(by_village):
        units = by_village[village]
        chosen = rng.sample(units, allocation[village])
        strata.append(Stratum(village_code=village, population=len(units), allocated=len(chosen)))
        sample.extend(sorted(chosen, key=lambda u: u.household_id))
    return tuple(strata), tuple(sample)


# --- the rates ------------------------------------------------------------------------------


def proportion(numerator: int, denominator: int) -> Decimal:
    """``numerator / denominator`` to 4 places, half up; 0 when the denominator is 0."""
    if denominator == 0:
        return Decimal(0).quantize(PLACES)
    with localcontext() as exact:
        exact.prec = 60
        return (Decimal(numerator) / Decimal(denominator)).quantize(PLACES, ROUND_HALF_UP)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal:
        return proportion(self.numerator, self.denominator)

    @property
    def undefined(self) -> bool:
        """Nothing to measure (zero denominator): the value 0 says nothing."""
        return self.denominator == 0


@dataclass(frozen=True)
class Results:
    wrong_exit: Rate
    missed_identification: Rate
    approval: Rate


# --- domain events --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SampleDrawn:
    assessment_id: str
    county_code: str
    year: int
    assessor: str
    seed: int
    strata: tuple[Stratum, ...]
    households: tuple[Unit, ...]


@dataclass(frozen=True, kw_only=True)
class HouseholdFindingRecorded:
    """What the assessor found in one sampled household."""

    assessment_id: str
    household_id: str
    people: int
    wrongly_exited: bool
    approves: bool | None  # None: the household did not answer


@dataclass(frozen=True, kw_only=True)
class SurveyRecorded:
    """A survey of people not on the register (漏评 check)."""

    assessment_id: str
    people_surveyed: int
    missed_poor_people: int


@dataclass(frozen=True, kw_only=True)
class AssessmentPublished:
    assessment_id: str
    county_code: str
    year: int
    results: Results


# --- the aggregate --------------------------------------------------------------------------


class Assessment(Aggregate):
    """One assessor's assessment of one county and year: sample, findings, published rates."""

    county_code: str
    year: int
    assessor: str
    seed: int
    strata: tuple[Stratum, ...]
    sample: dict[str, Unit]
    findings: dict[str, HouseholdFindingRecorded]
    surveys: list[SurveyRecorded]
    publication: AssessmentPublished | None

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.county_code, self.year, self.assessor, self.seed = "", 0, "", 0
        self.strata, self.sample, self.findings, self.surveys = (), {}, {}, []
        self.publication = None

    @classmethod
    def draw(
        cls,
        assessment_id: str,
        *,
        county_code: str,
        year: int,
        assessor: str,
        seed: int,
        sample_size: int,
        population: Sequence[Unit],
    ) -> "Assessment":
        """Draw the sample from ``population`` (the county's households, poor or exited)."""
        if not assessor.strip():
            raise RuleViolation("an assessment names its assessor")
        if sample_size < 1:
            raise RuleViolation("the sample size is at least 1")
        strangers = [
            u.household_id for u in population if not u.village_code.startswith(county_code)
        ]
        if strangers:
            raise RuleViolation(f"households outside county {county_code}: {strangers[:3]}")
        strata, households = draw_sample(population, sample_size, seed)
        assessment = cls(assessment_id)
        assessment.record(
            SampleDrawn(
                assessment_id=assessment_id,
                county_code=county_code,
                year=year,
                assessor=assessor.strip(),
                seed=seed,
                strata=strata,
                households=households,
            )
        )
        return assessment

    # -- state --

    @property
    def status(self) -> str:
        return "published" if self.publication else "drawn"

    @property
    def outstanding(self) -> list[str]:
        """Sampled households still without a finding."""
        return [h for h in self.sample if h not in self.findings]

    def results(self) -> Results:
        """The rates from what is recorded so far (final once published)."""
        findings = self.findings.values()
        exited = [f for f in findings if self.sample[f.household_id].exited]
        answered = [f for f in findings if f.approves is not None]
        return Results(
            wrong_exit=Rate(
                sum(f.people for f in exited if f.wrongly_exited), sum(f.people for f in exited)
            ),
            missed_identification=Rate(
                sum(s.missed_poor_people for s in self.surveys),
                sum(s.people_surveyed for s in self.surveys),
            ),
            approval=Rate(sum(1 for f in answered if f.approves), len(answered)),
        )

    # -- commands --

    def record_finding(
        self,
        household_id: str,
        *,
        people: int,
        wrongly_exited: bool | None = None,
        approves: bool | None = None,
    ) -> None:
        """Record one sampled household's finding. ``wrongly_exited`` must be stated for an
        exited household and cannot be true for one that is not exited."""
        self._still_open("record a finding")
        unit = self.sample.get(household_id)
        if unit is None:
            raise RuleViolation(f"household {household_id} is not in the sample")
        if household_id in self.findings:
            raise Conflict(
                f"household {household_id} already has a finding", household_id=household_id
            )
        if people < 1:
            raise RuleViolation("a finding covers at least one person")
        if unit.exited and wrongly_exited is None:
            raise RuleViolation(
                f"household {household_id} is exited: state whether it was wrongly exited"
            )
        if not unit.exited and wrongly_exited:
            raise RuleViolation(
                f"household {household_id} is {unit.status}, not exited: "
                "it cannot be wrongly exited"
            )
        self.record(
            HouseholdFindingRecorded(
                assessment_id=self.id,
                household_id=household_id,
                people=people,
                wrongly_exited=bool(wrongly_exited),
                approves=approves,
            )
        )

    def record_survey(self, *, people_surveyed: int, missed_poor_people: int) -> None:
        """Add a survey of non-registered people; several surveys add up."""
        self._still_open("record a survey")
        if people_surveyed < 1:
            raise RuleViolation("a survey covers at least one person")
        if not 0 <= missed_poor_people <= people_surveyed:
            raise RuleViolation(
                f"{missed_poor_people} missed poor people cannot be found among "
                f"{people_surveyed} people surveyed"
            )
        self.record(
            SurveyRecorded(
                assessment_id=self.id,
                people_surveyed=people_surveyed,
                missed_poor_people=missed_poor_people,
            )
        )

    def publish(self) -> Results:
        """Publish the rates (公开考核结果); every sampled household needs its finding."""
        self._still_open("publish")
        missing = self.outstanding
        if missing:
            raise Conflict(
                f"cannot publish: {len(missing)} of {len(self.sample)} sampled households "
                "have no finding yet",
                outstanding=str(len(missing)),
            )
        results = self.results()
        self.record(
            AssessmentPublished(
                assessment_id=self.id,
                county_code=self.county_code,
                year=self.year,
                results=results,
            )
        )
        return results

    def _still_open(self, command: str) -> None:
        if self.publication is not None:
            raise InvalidTransition("assessment", "published", command)

    # -- events --

    def apply(self, event: Any) -> None:
        match event:
            case SampleDrawn():
                self.county_code, self.year = event.county_code, event.year
                self.assessor, self.seed = event.assessor, event.seed
                self.strata = event.strata
                self.sample = {u.household_id: u for u in event.households}
            case HouseholdFindingRecorded():
                self.findings[event.household_id] = event
            case SurveyRecorded():
                self.surveys.append(event)
            case AssessmentPublished():
                self.publication = event
            case _:
                raise TypeError(f"Assessment cannot apply {type(event).__name__}")
