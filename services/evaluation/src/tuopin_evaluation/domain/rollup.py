"""Roll-ups, the seed's evaluation chain 由户到村、由村到乡、由乡到县: households are counted
into their village, then villages are summed into townships, townships into counties,
counties into cities and cities into the province — bottom-up, as DHIS2 aggregates its
organisation units — so every level's figures are the sum of the level below.

Poverty incidence (贫困发生率) is poor people over the registered rural population (农村户籍
人口), a ``Decimal`` fraction rounded half up to four places (0.0250 is 2.5 %). A region
whose villages' rural population is not all registered has no incidence, and says why: a
figure over an incomplete denominator would overstate it. Beside it, the incidence where
the population is known (over the villages that registered one, their poor people only),
with the count of villages left out: one unregistered village no longer blanks a province.

What the loans and training programmes reached (households with credit, money disbursed,
households with a certified member, people trained) is counted into villages alongside
and summed upwards the same way; its shares are over the registered poor households
(建档立卡户: poor or exited, not removed), as the seed's coverage goals count them.

The same figures are summed by special-hardship belt (特困片带, seed 一.1): a belt's row is
the sum of its villages (those of the region asked about), a belt named by code in the
provincial list, or — for villages registered before belts were reference data — by the
free-text name their event carried (legacy).

Also: village exit eligibility with every criterion and its reason, and the bands of
income per head around the year's poverty line. Pure: standard library and the shared
vocabulary only.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from tuopin_contracts.vocabulary import HouseholdStatus as S
from tuopin_evaluation.domain.exit_standard import NamedCriterion, VillageExitRules

# Who counts as poor: on the register and not (yet) out of poverty.
POOR = frozenset({S.IDENTIFIED, S.ASSISTING, S.EXIT_PROPOSED, S.EXIT_PUBLICISED, S.RETURNED})

LEVELS = ("province", "city", "county", "township", "village")
DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
PLACES = 4  # incidence and shares: 0.0001 = 0.01 %


# --- region codes ---------------------------------------------------------------------


def level_of(code: str) -> str:
    """The level of a region code: 620000 province, 621100 city, 621121 county,
    621121100 township, 621121100201 village."""
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValueError(f"{code!r} is not a region code (6, 9 or 12 digits)")
    if len(code) == 12:
        return "village"
    if len(code) == 9:
        return "township"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def region_prefix(code: str) -> str:
    """The leading digits every village of the region shares (620000 → 62, 621100 → 6211)."""
    return code[: DIGITS[level_of(code)]]


def region_at(code: str, level: str) -> str:
    """The region of ``level`` that contains ``code`` (a region at that level or below)."""
    if LEVELS.index(level) > LEVELS.index(level_of(code)):
        raise ValueError(f"{code} is a {level_of(code)}; it has no {level}")
    head = code[: DIGITS[level]]
    return head.ljust(6, "0") if len(head) < 6 else head


def check_level(region: str, level: str) -> None:
    """A roll-up lists the regions of ``level`` inside ``region``: not above it."""
    if level not in DIGITS:
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    if LEVELS.index(level) < LEVELS.index(level_of(region)):
        raise ValueError(f"{region} is a {level_of(region)}: it has no {level} inside it")


# --- arithmetic -----------------------------------------------------------------------


def ratio(part: int, whole: int) -> Decimal:
    """``part / whole`` rounded half up to four places, exactly (integer arithmetic)."""
    if whole <= 0 or part < 0:
        raise ValueError(f"no ratio of {part} to {whole}")
    scale = 10**PLACES
    return Decimal((2 * part * scale + whole) // (2 * whole)).scaleb(-PLACES)


def incidence(poor_people: int, rural_population: int) -> Decimal:
    """Poverty incidence (贫困发生率): poor people over the registered rural population."""
    return ratio(poor_people, rural_population)


K = TypeVar("K", int, str)


def _add(a: Mapping[K, int], b: Mapping[K, int]) -> dict[K, int]:
    total = Counter(a)
    total.update(b)
    return dict(sorted(total.items()))


# --- figures --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """What the programmes reached among a region's registered poor households (建档立卡户,
    exited ones included: they stay in the seed's coverage goals): households with a loan
    disbursed (in all and by product), the fen disbursed to them, households with a member
    holding a valid vocational certificate, their members who completed a training, and the
    education assistance (教育扶贫, seed 四.9(1)) decided for their members: students assisted
    (once each), fen granted (中职助学金) and fen of fees waived."""

    registered_households: int = 0
    credit_households: int = 0
    credit_households_by_product: Mapping[str, int] = field(default_factory=dict)
    credit_disbursed_fen: int = 0
    certified_households: int = 0
    people_trained: int = 0
    students_assisted: int = 0
    education_granted_fen: int = 0
    education_waived_fen: int = 0

    def __add__(self, other: "Reach") -> "Reach":
        return Reach(
            registered_households=self.registered_households + other.registered_households,
            credit_households=self.credit_households + other.credit_households,
            credit_households_by_product=_add(
                self.credit_households_by_product, other.credit_households_by_product
            ),
            credit_disbursed_fen=self.credit_disbursed_fen + other.credit_disbursed_fen,
            certified_households=self.certified_households + other.certified_households,
            people_trained=self.people_trained + other.people_trained,
            students_assisted=self.students_assisted + other.students_assisted,
            education_granted_fen=self.education_granted_fen + other.education_granted_fen,
            education_waived_fen=self.education_waived_fen + other.education_waived_fen,
        )

    @property
    def credit_share(self) -> Decimal | None:
        """Registered poor households reached by credit, a fraction of them (None: none)."""
        return self._share(self.credit_households)

    @property
    def certified_coverage(self) -> Decimal | None:
        """Registered poor households with a certified member (the 2020 goal's measure)."""
        return self._share(self.certified_households)

    def _share(self, part: int) -> Decimal | None:
        return ratio(part, self.registered_households) if self.registered_households else None


@dataclass(frozen=True)
class Condition:
    """One of a village's conditions as recorded (the county's assessment): a flag as 1 or 0,
    a sum in fen or a count, in force from ``effective_date``, on ``source``."""

    value: int
    effective_date: date
    source: str


@dataclass(frozen=True)
class VillageFigures:
    """What is counted in one village (由户到村): its poor households and people, its
    registered standing, and its exits and returns by year (households)."""

    code: str
    poor_households: int = 0
    poor_people: int = 0
    rural_population: int | None = None  # None: the village is not registered
    poor_village: bool | None = None  # None: the village is not registered
    name: str | None = None
    exits: Mapping[int, int] = field(default_factory=dict)
    returns: Mapping[int, int] = field(default_factory=dict)
    reach: Reach = field(default_factory=Reach)
    conditions: Mapping[str, Condition] = field(default_factory=dict)  # those in force
    open_return_warnings: int = 0  # raised, not yet closed (返贫预警)
    belt_code: str | None = None  # 特困片带, by its code in the provincial list
    belt_name: str | None = None  # its name; alone: free text of a legacy event


@dataclass(frozen=True)
class Rollup:
    """One region's figures, the sum of its parts."""

    code: str
    level: str
    villages: int
    poor_villages: int
    villages_without_population: int
    poor_households: int
    poor_people: int
    rural_population: int  # of the villages that registered one
    exits: dict[int, int]
    returns: dict[int, int]
    eligible_poor_villages: int | None = None  # None: no village exit rules applied
    poor_people_counted: int = 0  # of the villages that registered a rural population
    name: str | None = None
    reach: Reach = field(default_factory=Reach)
    open_return_warnings: int = 0

    @property
    def incidence(self) -> Decimal | None:
        if self.villages_without_population or self.rural_population == 0:
            return None
        return incidence(self.poor_people, self.rural_population)

    @property
    def incidence_where_known(self) -> Decimal | None:
        """Over the villages that registered a rural population (``incidence`` when every
        village did); None when none did."""
        if self.rural_population == 0:
            return None
        return incidence(self.poor_people_counted, self.rural_population)

    @property
    def incidence_note(self) -> str | None:
        """Why there is no incidence, if there is none."""
        if self.villages_without_population:
            n = self.villages_without_population
            return f"rural population not registered for {n} village{'s' if n > 1 else ''}"
        if self.rural_population == 0:
            return "no rural population registered"
        return None


def village_rollup(v: VillageFigures, rules: VillageExitRules | None = None) -> Rollup:
    eligible = None
    if rules is not None:
        eligible = int(village_exit(v, rules).eligible)
    return Rollup(
        code=v.code,
        level="village",
        villages=1,
        poor_villages=int(v.poor_village is True),
        villages_without_population=int(v.rural_population is None),
        poor_households=v.poor_households,
        poor_people=v.poor_people,
        rural_population=v.rural_population or 0,
        poor_people_counted=0 if v.rural_population is None else v.poor_people,
        exits=dict(sorted(v.exits.items())),
        returns=dict(sorted(v.returns.items())),
        eligible_poor_villages=eligible,
        name=v.name,
        reach=v.reach,
        open_return_warnings=v.open_return_warnings,
    )


def roll_up(
    villages: Iterable[VillageFigures], level: str, rules: VillageExitRules | None = None
) -> list[Rollup]:
    """The regions of ``level`` with their figures: villages summed into townships, those
    into counties, then cities, then the province — one level at a time."""
    if level not in DIGITS:
        raise ValueError(f"unknown level {level!r} (one of {', '.join(LEVELS)})")
    rows = [village_rollup(v, rules) for v in villages]
    for parent in reversed(LEVELS[LEVELS.index(level) : -1]):
        rows = _sum_into(rows, parent)
    return sorted(rows, key=lambda r: r.code)


@dataclass(frozen=True)
class BeltRollup:
    """One belt's figures: ``code`` None for a legacy free-text name."""

    code: str | None
    name: str | None
    figures: Rollup

    @property
    def legacy(self) -> bool:
        return self.code is None


def roll_up_belts(
    villages: Iterable[VillageFigures], rules: VillageExitRules | None = None
) -> tuple[list[BeltRollup], int]:
    """Villages summed by the belt they are in (coded belts by code, then legacy names),
    and the number of villages in no belt."""
    group: dict[str, str] = {}  # village → its belt's code, or "legacy:" + the free text
    belts: dict[str, tuple[str | None, str | None]] = {}  # group → (code, name)
    rows, outside = [], 0
    for v in villages:
        if v.belt_code is None and v.belt_name is None:
            outside += 1
            continue
        # A code never holds ":" (A-Z, 0-9, -), so a legacy name cannot pass for one.
        group[v.code] = v.belt_code if v.belt_code is not None else f"legacy:{v.belt_name}"
        belts.setdefault(group[v.code], (v.belt_code, v.belt_name))
        rows.append(village_rollup(v, rules))
    summed = _sum_into(rows, "belt", lambda r: group[r.code])
    found = [BeltRollup(*belts[r.code], r) for r in summed]
    return sorted(found, key=lambda b: (b.legacy, b.code or "", b.name or "")), outside


def _sum_into(
    rows: Iterable[Rollup], level: str, key: Callable[[Rollup], str] | None = None
) -> list[Rollup]:
    """Rows summed into the regions of ``level`` (or into the groups ``key`` names)."""
    parents: dict[str, Rollup] = {}
    for row in rows:
        code = region_at(row.code, level) if key is None else key(row)
        seen = parents.get(code)
        if seen is None:
            parents[code] = Rollup(
                code=code,
                level=level,
                villages=row.villages,
                poor_villages=row.poor_villages,
                villages_without_population=row.villages_without_population,
                poor_households=row.poor_households,
                poor_people=row.poor_people,
                rural_population=row.rural_population,
                poor_people_counted=row.poor_people_counted,
                exits=dict(row.exits),
                returns=dict(row.returns),
                eligible_poor_villages=row.eligible_poor_villages,
                reach=row.reach,
                open_return_warnings=row.open_return_warnings,
            )
            continue
        eligible = (
            None
            if seen.eligible_poor_villages is None or row.eligible_poor_villages is None
            else seen.eligible_poor_villages + row.eligible_poor_villages
        )
        parents[code] = Rollup(
            code=code,
            level=level,
            villages=seen.villages + row.villages,
            poor_villages=seen.poor_villages + row.poor_villages,
            villages_without_population=(
                seen.villages_without_population + row.villages_without_population
            ),
            poor_households=seen.poor_households + row.poor_households,
            poor_people=seen.poor_people + row.poor_people,
            rural_population=seen.rural_population + row.rural_population,
            poor_people_counted=seen.poor_people_counted + row.poor_people_counted,
            exits=_add(seen.exits, row.exits),
            returns=_add(seen.returns, row.returns),
            eligible_poor_villages=eligible,
            reach=seen.reach + row.reach,
            open_return_warnings=seen.open_return_warnings + row.open_return_warnings,
        )
    return list(parents.values())


# --- village exit (贫困村退出) ----------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One criterion of an eligibility: ``passed`` is None when it could not be assessed."""

    name: str
    description: str
    value: str
    threshold: str | None
    passed: bool | None
    reason: str | None = None

    @property
    def status(self) -> str:
        return {True: "passed", False: "failed", None: "not_assessed"}[self.passed]


@dataclass(frozen=True)
class VillageExit:
    village_code: str
    eligible: bool
    incidence: Decimal | None
    criteria: tuple[Check, ...]

    @property
    def reasons(self) -> list[str]:
        """Why it is not eligible, and what was not assessed."""
        return [c.reason for c in self.criteria if c.passed is not True and c.reason]

    @property
    def not_assessed(self) -> list[str]:
        return [c.name for c in self.criteria if c.passed is None]


POOR_VILLAGE = "a registered poor village (贫困村)"
INCIDENCE = "poor people / registered rural population"


def village_exit(v: VillageFigures, rules: VillageExitRules) -> VillageExit:
    """A village may exit when it is a poor village whose poverty incidence is at most the
    rule's bound and every infrastructure and services criterion passes on the conditions
    in force: one without a record is not assessed, and an exit cannot rest on it."""
    if v.poor_village is None:
        poor = Check(
            "poor_village", POOR_VILLAGE, "not registered", "true", None, "village not registered"
        )
    elif v.poor_village:
        poor = Check("poor_village", POOR_VILLAGE, "true", "true", True)
    else:
        poor = Check(
            "poor_village",
            POOR_VILLAGE,
            "false",
            "true",
            False,
            "not a registered poor village: it has nothing to exit",
        )
    bound = f"<= {rules.max_incidence}"
    rate: Decimal | None = None
    if not v.rural_population:
        missing = "registered rural population is zero"
        if v.rural_population is None:
            missing = "rural population not registered"
        share = Check("poverty_incidence", INCIDENCE, "not computable", bound, None, missing)
    else:
        rate = incidence(v.poor_people, v.rural_population)
        value = f"{rate} ({v.poor_people} / {v.rural_population})"
        if rate <= rules.max_incidence:
            share = Check("poverty_incidence", INCIDENCE, value, bound, True)
        else:
            share = Check(
                "poverty_incidence",
                INCIDENCE,
                value,
                bound,
                False,
                f"poverty incidence {rate} is above {rules.max_incidence}",
            )
    criteria = (poor, share, *(_condition(c, v.conditions) for c in rules.criteria))
    eligible = all(c.passed is True for c in criteria)
    return VillageExit(v.code, eligible, rate, criteria)


HOUSING = ("dangerous_houses_renovated", "dangerous_houses")


def _condition(criterion: NamedCriterion, held: Mapping[str, Condition]) -> Check:
    """A criterion judged on the condition of its name in force (housing: renovated ÷
    dangerous houses). A yes/no passes on yes; a figure when it reaches the minimum."""
    name, least = criterion.name, criterion.minimum
    needed = HOUSING if name == "housing_safety" else (name,)
    threshold = "yes" if least is None else f">= {least}"
    if any(n not in held for n in needed):
        return Check(
            name,
            criterion.description,
            "not assessed",
            threshold,
            None,
            f"{name} not assessed: no record of it in force",
        )
    recorded = [held[n] for n in needed]
    if name == "housing_safety":
        renovated, dangerous = (c.value for c in recorded)
        passed = renovated >= (1 if least is None else least) * dangerous
        coverage = (
            ratio(renovated, dangerous) if dangerous else Decimal("1.0000")
        )  # none to renovate
        shown = f"{coverage} ({renovated} / {dangerous})"
    elif least is None:
        passed, shown = recorded[0].value == 1, "yes" if recorded[0].value == 1 else "no"
    else:
        passed, shown = recorded[0].value >= least, str(recorded[0].value)
    latest = max(recorded, key=lambda c: c.effective_date)
    value = f"{shown} from {latest.effective_date} ({latest.source})"
    reason = None if passed else f"{name} fails: {shown}, needs {threshold} ({latest.source})"
    return Check(name, criterion.description, value, threshold, passed, reason)


# --- income per head around the poverty line --------------------------------------------

BAND_MULTIPLES = (Decimal(1), Decimal("1.5"), Decimal(2))
BAND_NAMES = ("at_or_below_line", "line_to_1.5x", "1.5x_to_2x", "above_2x")


@dataclass(frozen=True)
class Band:
    """Income per head in fen: above ``above_fen`` (exclusive), up to ``up_to_fen``
    (inclusive); a household at the line is in the first band, as it fails the exit test."""

    name: str
    above_fen: int | None
    up_to_fen: int | None

    def holds(self, per_head: int) -> bool:
        return (self.above_fen is None or per_head > self.above_fen) and (
            self.up_to_fen is None or per_head <= self.up_to_fen
        )


def income_bands(line_fen: int) -> tuple[Band, ...]:
    """At or below the line; above it up to 1.5×; up to 2×; above 2× — bounds in whole fen."""
    if line_fen <= 0:
        raise ValueError("the poverty line must be positive")
    bounds = [int((line_fen * m).to_integral_value(ROUND_HALF_UP)) for m in BAND_MULTIPLES]
    lower: list[int | None] = [None, *bounds]
    upper: list[int | None] = [*bounds, None]
    return tuple(Band(n, a, b) for n, a, b in zip(BAND_NAMES, lower, upper, strict=True))


def band_of(per_head: int, bands: Iterable[Band]) -> Band:
    for band in bands:
        if band.holds(per_head):
            return band
    raise ValueError(f"no band holds {per_head}")


@dataclass(frozen=True)
class BandCount:
    band: Band
    households: int
    share: Decimal | None  # of the households with an income that year


def distribution(bands: Iterable[Band], counts: Mapping[str, int]) -> list[BandCount]:
    bands = list(bands)
    total = sum(counts.get(b.name, 0) for b in bands)
    return [
        BandCount(
            b,
            counts.get(b.name, 0),
            ratio(counts.get(b.name, 0), total) if total else None,
        )
        for b in bands
    ]
