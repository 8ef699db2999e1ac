"""Roll-up arithmetic: region codes, incidence rounding, the bottom-up sums checked at every
level against an independent count, missing denominators, income bands, policy data."""

import json
import random
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from importlib.resources import files

import pytest

from tuopin_contracts import regions as rc
from tuopin_evaluation.application import reference
from tuopin_evaluation.domain import income_bands as ib
from tuopin_evaluation.domain import rollup as ru
from tuopin_evaluation.domain import village_exit as ve
from tuopin_evaluation.domain import village_figures as vf
from tuopin_evaluation.domain.exit_standard import RuleSet

# --- region codes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("620000", "province", "62"),
        ("621100", "city", "6211"),
        ("622900", "city", "6229"),
        ("621121", "county", "621121"),
        ("620100", "city", "6201"),
        ("620102", "county", "620102"),
        ("621121100", "township", "621121100"),
        ("621121100201", "village", "621121100201"),
    ],
)
def test_levels_and_prefixes_come_from_the_code(code, level, prefix) -> None:
    assert rc.level_of(code) == level
    assert rc.region_prefix(code) == prefix


def test_the_region_containing_a_village_at_each_level() -> None:
    v = "621121100201"
    assert [rc.region_at(v, lvl) for lvl in rc.LEVELS] == [
        "620000",
        "621100",
        "621121",
        "621121100",
        v,
    ]
    assert rc.region_at("621121", "city") == "621100"
    with pytest.raises(ValueError):
        rc.region_at("621121", "township")


@pytest.mark.parametrize("bad", ["62112", "6211210", "62112110020A", "", "abcdef"])
def test_malformed_codes_are_refused(bad) -> None:
    with pytest.raises(ValueError):
        rc.level_of(bad)


def test_a_level_above_the_region_is_refused() -> None:
    rc.check_level("621121", "county")
    rc.check_level("621121", "village")
    with pytest.raises(ValueError, match="no city inside it"):
        rc.check_level("621121", "city")
    with pytest.raises(ValueError, match="unknown level"):
        rc.check_level("620000", "district")


# --- rounding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("poor", "population", "expected"),
    [
        (0, 1000, "0.0000"),
        (3, 100, "0.0300"),
        (1, 3, "0.3333"),
        (2, 3, "0.6667"),
        (1, 4000, "0.0003"),  # 0.00025: half up, where half-even would give 0.0002
        (3, 4000, "0.0008"),  # 0.00075
        (1, 20000, "0.0001"),  # 0.00005
        (1, 20001, "0.0000"),  # just under half
        (8, 300, "0.0267"),
        (301, 10000, "0.0301"),
        (299, 10000, "0.0299"),
        (5, 4, "1.2500"),  # more poor than registered: shown as it is, not capped
    ],
)
def test_incidence_is_rounded_half_up_to_four_places(poor, population, expected) -> None:
    value = vf.incidence(poor, population)
    assert str(value) == expected
    assert value == Decimal(expected) and value.as_tuple().exponent == -4


@pytest.mark.parametrize(("poor", "population"), [(1, 0), (0, 0), (-1, 10), (1, -5)])
def test_no_incidence_without_a_population(poor, population) -> None:
    with pytest.raises(ValueError):
        vf.incidence(poor, population)


# --- bottom-up sums against an independent count --------------------------------------


@dataclass(frozen=True)
class Home:
    village: str
    status: str
    size: int
    exits: tuple[int, ...] = ()
    returns: tuple[int, ...] = ()
    loans: tuple[tuple[str, int], ...] = ()  # (product, fen disbursed)
    certified: bool = False  # a member holds a valid certificate
    trained: int = 0  # members who completed a training


STATUSES = [
    "identified",
    "assisting",
    "exit_proposed",
    "exit_publicised",
    "exited",
    "returned",
    "removed",
]


def province(seed: int) -> tuple[list[Home], dict[str, int | None], dict[str, bool]]:
    """Households spread over two cities, four counties, townships and villages; a few
    villages have households but no registered population (county 621222 entirely)."""
    rng = random.Random(seed)
    villages = [
        f"{county}{town:03d}{n:03d}"
        for county in ("621121", "621122", "621221", "621222")
        for town in (100, 101, 102)
        for n in range(200, 200 + rng.randint(1, 6))
    ]
    homes = []
    for _ in range(1500):
        status = rng.choice(STATUSES)
        exits = tuple(rng.choice([2016, 2017, 2018]) for _ in range(rng.randint(0, 2)))
        returns = tuple(rng.choice([2017, 2018]) for _ in range(rng.randint(0, 1)))
        homes.append(Home(rng.choice(villages), status, rng.randint(1, 8), exits, returns))
    population: dict[str, int | None] = {}
    for v in villages:
        population[v] = None if v.startswith("621222") else rng.randint(150, 2500)
    population[villages[3]] = None  # one more, in county 621121
    poor = {v: rng.random() < 0.6 for v in villages}
    products = ["microcredit", "housing", "relocation", "student"]
    homes = [
        replace(
            h,
            loans=tuple(
                (rng.choice(products), rng.randint(1, 5_000_000)) for _ in range(rng.randint(0, 2))
            ),
            certified=rng.random() < 0.4,
            trained=rng.randint(0, 2),
        )
        for h in homes
    ]
    return homes, population, poor


def household_to_village(
    homes: list[Home], population: dict[str, int | None], poor: dict[str, bool]
) -> list[vf.VillageFigures]:
    """由户到村, as the database does it: count each village's households."""
    figures = []
    for code, registered in population.items():
        mine = [h for h in homes if h.village == code]
        counted = [h for h in mine if h.status in ru.POOR]
        figures.append(
            vf.VillageFigures(
                code=code,
                poor_households=len(counted),
                poor_people=sum(h.size for h in counted),
                rural_population=registered,
                poor_village=None if registered is None else poor[code],
                exits=Counter(y for h in mine for y in h.exits),
                returns=Counter(y for h in mine for y in h.returns),
                reach=reach([h for h in mine if h.status != "removed"]),
            )
        )
    return figures


def reach(registered: list[Home]) -> vf.Reach:
    """What the programmes reached among registered households, counted directly."""
    return vf.Reach(
        registered_households=len(registered),
        credit_households=sum(1 for h in registered if h.loans),
        credit_households_by_product=dict(
            Counter(p for h in registered for p in {p for p, _ in h.loans})
        ),
        credit_disbursed_fen=sum(fen for h in registered for _, fen in h.loans),
        certified_households=sum(h.certified for h in registered),
        people_trained=sum(h.trained for h in registered),
    )


def independent(homes, population, prefix: str) -> dict[str, object]:
    """Counted straight from the households of the region, no hierarchy involved."""
    poor = [h for h in homes if h.village.startswith(prefix) and h.status in ru.POOR]
    people = sum(h.size for h in poor)
    inside = [v for v in population if v.startswith(prefix)]
    missing = [v for v in inside if population[v] is None]
    registered = sum(population[v] or 0 for v in inside)
    rate = None
    if not missing and registered:
        with localcontext() as ctx:
            ctx.prec = 60
            rate = (Decimal(people) / Decimal(registered)).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
    return {
        "poor_households": len(poor),
        "poor_people": people,
        "rural_population": registered,
        "villages": len(inside),
        "villages_without_population": len(missing),
        "incidence": rate,
        "exits": dict(Counter(y for h in homes if h.village.startswith(prefix) for y in h.exits)),
        "returns": dict(
            Counter(y for h in homes if h.village.startswith(prefix) for y in h.returns)
        ),
        "reach": reach(
            [h for h in homes if h.village.startswith(prefix) and h.status != "removed"]
        ),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("level", rc.LEVELS)
def test_every_level_matches_an_independent_count(seed, level) -> None:
    homes, population, poor = province(seed)
    rows = ru.roll_up(household_to_village(homes, population, poor), level)
    expected_codes = sorted({rc.region_at(v, level) for v in population})
    assert [r.code for r in rows] == expected_codes
    assert {r.level for r in rows} == {level}
    for row in rows:
        prefix = rc.region_prefix(row.code)
        found = {
            "poor_households": row.poor_households,
            "poor_people": row.poor_people,
            "rural_population": row.rural_population,
            "villages": row.villages,
            "villages_without_population": row.villages_without_population,
            "incidence": row.incidence,
            "exits": row.exits,
            "returns": row.returns,
            "reach": row.reach,
        }
        assert found == independent(homes, population, prefix), row.code


def test_the_province_is_the_sum_of_its_counties() -> None:
    homes, population, poor = province(7)
    figures = household_to_village(homes, population, poor)
    counties = ru.roll_up(figures, "county")
    (whole,) = ru.roll_up(figures, "province")
    assert whole.code == "620000"
    assert whole.poor_people == sum(c.poor_people for c in counties)
    assert whole.rural_population == sum(c.rural_population for c in counties)
    # Not the average of the counties' rates: the ratio of the sums.
    complete = [c for c in counties if c.incidence is not None]
    assert complete and len(complete) < len(counties)


def test_reach_shares_are_of_the_registered_households() -> None:
    homes, population, poor = province(5)
    (whole,) = ru.roll_up(household_to_village(homes, population, poor), "province")
    registered = [h for h in homes if h.status != "removed"]
    assert whole.reach.registered_households == len(registered) < len(homes)
    assert whole.reach.credit_share == vf.ratio(
        sum(1 for h in registered if h.loans), len(registered)
    )
    assert whole.reach.certified_coverage == vf.ratio(
        sum(h.certified for h in registered), len(registered)
    )
    assert vf.Reach().credit_share is None and vf.Reach().certified_coverage is None


def test_a_missing_denominator_withholds_the_incidence_up_the_chain() -> None:
    homes, population, poor = province(1)
    figures = household_to_village(homes, population, poor)
    by_code = {r.code: r for r in ru.roll_up(figures, "county")}
    unregistered = sum(v.startswith("621222") for v in population)
    assert by_code["621222"].incidence is None
    assert by_code["621222"].incidence_note == (
        f"rural population not registered for {unregistered} villages"
    )
    assert by_code["621121"].incidence is None  # one village without population
    assert by_code["621121"].incidence_note == "rural population not registered for 1 village"
    assert by_code["621122"].incidence is not None and by_code["621122"].incidence_note is None
    (city,) = ru.roll_up([f for f in figures if f.code.startswith("6212")], "city")
    assert city.incidence is None


def test_the_incidence_where_known_leaves_out_the_unregistered_villages() -> None:
    known = vf.VillageFigures("621121100201", 5, 20, 1000, True)
    unknown = vf.VillageFigures("621121100202", 3, 9, None, True)
    (county,) = ru.roll_up([known, unknown], "county")
    assert county.incidence is None and county.villages_without_population == 1
    assert county.poor_people == 29  # every poor person is still counted
    assert county.incidence_where_known == vf.incidence(20, 1000) == Decimal("0.0200")
    (alone,) = ru.roll_up([unknown], "county")
    assert alone.incidence_where_known is None  # no denominator at all
    (whole,) = ru.roll_up([known], "county")
    assert whole.incidence_where_known == whole.incidence  # complete: the same figure


def test_a_registered_population_of_zero_has_no_incidence() -> None:
    (row,) = ru.roll_up([vf.VillageFigures("621121100201", 0, 0, 0, False)], "county")
    assert row.incidence is None and row.incidence_note == "no rural population registered"


def test_villages_without_poor_households_still_count_in_the_denominator() -> None:
    rows = ru.roll_up(
        [
            vf.VillageFigures("621121100201", 2, 6, 100, True),
            vf.VillageFigures("621121100202", 0, 0, 500, False),
        ],
        "township",
    )
    assert [(r.code, r.poor_people, r.rural_population, str(r.incidence)) for r in rows] == [
        ("621121100", 6, 600, "0.0100")
    ]
    assert rows[0].villages == 2 and rows[0].poor_villages == 1


def test_eligible_poor_villages_are_counted_when_rules_are_given() -> None:
    rules = reference.rule_set("gansu-2016").village_exit
    assessed = vf.Condition(1, date(2017, 6, 30), "县扶贫办")  # a yes, 1 fen, 1 house
    all_met = dict.fromkeys(
        [*(c.name for c in rules.criteria if c.name != "housing_safety"), *ve.HOUSING], assessed
    )
    figures = [
        replace(vf.VillageFigures("621121100201", 1, 3, 100, True), conditions=all_met),  # 0.03
        vf.VillageFigures("621121100202", 1, 3, 100, True),  # 0.0300, nothing assessed
        replace(vf.VillageFigures("621121100203", 1, 4, 100, True), conditions=all_met),  # 0.04
        vf.VillageFigures("621121101201", 0, 0, 100, False),  # not a poor village
        vf.VillageFigures("621121101202", 1, 1),  # not registered
    ]
    (county,) = ru.roll_up(figures, "county", rules)
    assert county.poor_villages == 3 and county.eligible_poor_villages == 1
    assert ru.roll_up(figures, "county")[0].eligible_poor_villages is None


# --- income bands ---------------------------------------------------------------------


def test_bands_around_the_line_in_fen() -> None:
    line = reference.poverty_lines().fen(2016)
    assert line == 295_200
    bands = ib.income_bands(line)
    assert [(b.name, b.above_fen, b.up_to_fen) for b in bands] == [
        ("at_or_below_line", None, 295_200),
        ("line_to_1.5x", 295_200, 442_800),
        ("1.5x_to_2x", 442_800, 590_400),
        ("above_2x", 590_400, None),
    ]
    placed = {
        0: "at_or_below_line",
        295_200: "at_or_below_line",  # at the line fails the exit test: first band
        295_201: "line_to_1.5x",
        442_800: "line_to_1.5x",
        442_801: "1.5x_to_2x",
        590_400: "1.5x_to_2x",
        590_401: "above_2x",
        10_000_000: "above_2x",
    }
    assert {fen: ib.band_of(fen, bands).name for fen in placed} == placed


def test_band_bounds_round_half_up_to_whole_fen() -> None:
    bands = ib.income_bands(333_501)  # 1.5 × = 500,251.5 fen
    assert bands[1].up_to_fen == 500_252 and bands[2].up_to_fen == 667_002
    with pytest.raises(ValueError):
        ib.income_bands(0)


def test_every_income_falls_in_exactly_one_band() -> None:
    bands = ib.income_bands(333_500)
    rng = random.Random(5)
    for fen in [rng.randint(0, 1_500_000) for _ in range(2000)]:
        assert sum(b.holds(fen) for b in bands) == 1


def test_distribution_shares() -> None:
    bands = ib.income_bands(295_200)
    counts = {"at_or_below_line": 1, "line_to_1.5x": 2, "above_2x": 4}
    shown = [(c.band.name, c.households, str(c.share)) for c in ib.distribution(bands, counts)]
    assert shown == [
        ("at_or_below_line", 1, "0.1429"),
        ("line_to_1.5x", 2, "0.2857"),
        ("1.5x_to_2x", 0, "0.0000"),
        ("above_2x", 4, "0.5714"),
    ]
    assert all(c.share is None for c in ib.distribution(bands, {}))


# --- policy as versioned data ---------------------------------------------------------


def test_rule_sets_carry_village_and_county_thresholds_as_decimals() -> None:
    rules = reference.rule_set("gansu-2016")
    assert rules.village_exit is not None and rules.county_delisting is not None
    assert rules.village_exit.max_incidence == Decimal("0.03")
    assert isinstance(rules.village_exit.max_incidence, Decimal)
    county = rules.county_delisting
    assert (
        county.max_incidence,
        county.max_wrong_exit_rate,
        county.max_missed_identification_rate,
        county.min_approval_rate,
    ) == (Decimal("0.03"), Decimal("0.02"), Decimal("0.02"), Decimal("0.90"))
    assert "road_access" in [c.name for c in rules.village_exit.criteria]
    assert rules.source and rules.village_exit.source and county.source


def test_a_what_if_rule_set_is_never_in_force() -> None:
    what_if = reference.rule_set("national-2016-central-eastern")
    assert what_if.what_if_only and what_if.village_exit.max_incidence == Decimal("0.02")
    from datetime import date

    assert reference.rule_set_in_force(date(2030, 1, 1)).name == "gansu-2016"
    with pytest.raises(LookupError, match="no rule set named"):
        reference.rule_set("gansu-1999")


def test_thresholds_written_as_numbers_are_refused() -> None:
    data = json.loads((files("tuopin_evaluation") / "reference" / "rule_sets.json").read_text())
    raw = data["rule_sets"][0]
    assert isinstance(reference.parse_rule_set(raw), RuleSet)
    floating = {**raw, "village_exit": {**raw["village_exit"], "max_incidence": 0.03}}
    with pytest.raises(ValueError, match="decimal string"):
        reference.parse_rule_set(floating)
    too_big = {**raw, "county_delisting": {**raw["county_delisting"], "min_approval_rate": "90"}}
    with pytest.raises(ValueError, match="between 0 and 1"):
        reference.parse_rule_set(too_big)


def test_every_threshold_in_the_file_is_a_string() -> None:
    data = json.loads((files("tuopin_evaluation") / "reference" / "rule_sets.json").read_text())
    for raw in data["rule_sets"]:
        for section in ("village_exit", "county_delisting"):
            for key, value in raw[section].items():
                if key.startswith(("max_", "min_")):
                    assert isinstance(value, str), (raw["name"], section, key)


def test_replace_keeps_the_sections() -> None:
    rules = reference.rule_set("gansu-2016")
    assert replace(rules, income_years_above_line=2).village_exit == rules.village_exit
