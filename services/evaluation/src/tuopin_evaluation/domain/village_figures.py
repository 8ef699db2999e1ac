"""What is counted in one village (由户到村) — its poor households and people, its standing,
its exits and returns, what the programmes reached there, its conditions as assessed —
and the arithmetic every figure above it is made with: fractions rounded half up to four
places, exactly (0.0250 is 2.5 %). Pure: standard library only.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

PLACES = 4  # incidence and shares: 0.0001 = 0.01 %


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


def sum_counts(a: Mapping[K, int], b: Mapping[K, int]) -> dict[K, int]:
    """Counts by key (a year, a loan product) added, in the order of their keys."""
    total = Counter(a)
    total.update(b)
    return dict(sorted(total.items()))


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
            credit_households_by_product=sum_counts(
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
