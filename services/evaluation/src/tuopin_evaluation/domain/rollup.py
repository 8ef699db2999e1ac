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

A village's own figures are in ``village_figures``, its exit in ``village_exit``, region
codes in ``region_codes``. Pure: standard library and the shared vocabulary only.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from tuopin_contracts.regions import DIGITS, LEVELS, region_at
from tuopin_contracts.vocabulary import HouseholdStatus
from tuopin_evaluation.domain.exit_standard import VillageExitRules
from tuopin_evaluation.domain.village_exit import village_exit
from tuopin_evaluation.domain.village_figures import Reach, VillageFigures, incidence, sum_counts

# Who counts as poor: on the register and not (yet) out of poverty.
POOR = frozenset(
    {
        HouseholdStatus.IDENTIFIED,
        HouseholdStatus.ASSISTING,
        HouseholdStatus.EXIT_PROPOSED,
        HouseholdStatus.EXIT_PUBLICISED,
        HouseholdStatus.RETURNED,
    }
)


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
            exits=sum_counts(seen.exits, row.exits),
            returns=sum_counts(seen.returns, row.returns),
            eligible_poor_villages=eligible,
            reach=seen.reach + row.reach,
            open_return_warnings=seen.open_return_warnings + row.open_return_warnings,
        )
    return list(parents.values())
