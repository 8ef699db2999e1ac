"""Third-party assessment (第三方评估): sampling, allocation, the 2017 rates, refusals."""

from collections import Counter
from decimal import Decimal

import pytest

from tuopin_evaluation.domain.assessment import (
    Assessment,
    AssessmentPublished,
    HouseholdFindingRecorded,
    SampleDrawn,
    SurveyRecorded,
    Unit,
    allocate,
    draw_sample,
    proportion,
)
from tuopin_eventkit.store.aggregate import Conflict, InvalidTransition, RuleViolation

COUNTY = "621121"


def village(n: int) -> str:
    return f"{COUNTY}{100200 + n}"


def frame(sizes: dict[int, int], exited_every: int = 0) -> list[Unit]:
    """Households per village number; every ``exited_every``-th household is exited."""
    units, k = [], 0
    for v, size in sizes.items():
        for _ in range(size):
            k += 1
            status = "exited" if exited_every and k % exited_every == 0 else "assisting"
            hid = f"{k * 7919 % 100_000:05d}-{v}"  # ids not in village order
            units.append(Unit(household_id=hid, village_code=village(v), status=status, people=3))
    return units


def drawn(population: list[Unit], size: int, seed: int = 7) -> Assessment:
    return Assessment.draw(
        "a-1",
        county_code=COUNTY,
        year=2017,
        assessor="兰州大学评估组",
        seed=seed,
        sample_size=size,
        population=population,
    )


# --- sampling -------------------------------------------------------------------------------


def test_the_same_seed_and_population_give_the_same_sample_whatever_the_order() -> None:
    population = frame({1: 40, 2: 25, 3: 15})
    first = draw_sample(population, 20, seed=2017)
    again = draw_sample(list(reversed(population)), 20, seed=2017)
    assert first == again
    assert drawn(population, 20, 2017).sample == drawn(population[::-1], 20, 2017).sample


def test_a_different_seed_gives_a_different_sample() -> None:
    population = frame({1: 40, 2: 25, 3: 15})
    samples = {
        tuple(u.household_id for u in draw_sample(population, 20, seed)[1]) for seed in range(5)
    }
    assert len(samples) == 5


def test_the_sample_follows_the_allocation_village_by_village() -> None:
    population = frame({1: 50, 2: 30, 3: 20})
    strata, sample = draw_sample(population, 10, seed=1)
    assert [(s.village_code, s.population, s.allocated) for s in strata] == [
        (village(1), 50, 5),
        (village(2), 30, 3),
        (village(3), 20, 2),
    ]
    assert Counter(u.village_code for u in sample) == {village(1): 5, village(2): 3, village(3): 2}
    assert len({u.household_id for u in sample}) == 10
    assert set(sample) <= set(population)
    # listed village by village, each village's households in id order
    assert list(sample) == sorted(sample, key=lambda u: (u.village_code, u.household_id))


def test_a_census_takes_every_household() -> None:
    population = frame({1: 4, 2: 3})
    _, sample = draw_sample(population, 7, seed=99)
    assert set(sample) == set(population)


# --- allocation -----------------------------------------------------------------------------


def test_allocation_is_proportional_when_quotas_are_whole() -> None:
    assert allocate({"a": 50, "b": 30, "c": 20}, 10) == {"a": 5, "b": 3, "c": 2}


def test_largest_remainders_get_the_units_left_over() -> None:
    # quotas 3.5, 2.1, 1.4 → whole parts 3, 2, 1; the one left goes to the .5
    assert allocate({"a": 50, "b": 30, "c": 20}, 7) == {"a": 4, "b": 2, "c": 1}
    # quotas 4.4, 3.3, 2.3 → 4, 3, 2 and one left: .4 beats .3
    assert allocate({"a": 44, "b": 33, "c": 23}, 10) == {"a": 5, "b": 3, "c": 2}


def test_equal_remainders_go_to_the_lower_village_code() -> None:
    # quotas 1.5 and 1.5: one unit left, the lower code takes it
    assert allocate({"b": 10, "a": 10}, 3) == {"a": 2, "b": 1}


def test_every_non_empty_village_gets_at_least_one() -> None:
    # quotas 0.05, 0.05, 4.9 → minimum 1, 1 and the big village gives one back
    assert allocate({"a": 1, "b": 1, "c": 98}, 5) == {"a": 1, "b": 1, "c": 3}
    assert allocate({"a": 1, "b": 1, "c": 1, "d": 97}, 4) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert allocate({"a": 0, "b": 5}, 2) == {"b": 2}  # an empty village is no stratum


@pytest.mark.parametrize("size", range(6, 61))
def test_allocations_always_add_up_and_stay_within_each_village(size: int) -> None:
    population = {"a": 37, "b": 1, "c": 12, "d": 5, "e": 2, "f": 3}
    given = allocate(population, size)
    assert sum(given.values()) == size
    assert all(1 <= given[v] <= population[v] for v in population)


@pytest.mark.parametrize(
    ("population", "size", "reason"),
    [
        ({}, 1, "empty"),
        ({"a": 3, "b": 2}, 6, "exceeds the 5 households"),
        ({"a": 3, "b": 2, "c": 4}, 2, "at least one household"),
    ],
)
def test_impossible_allocations_are_refused(population: dict, size: int, reason: str) -> None:
    with pytest.raises(RuleViolation, match=reason):
        allocate(population, size)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"assessor": "  "}, "assessor"),
        ({"sample_size": 0}, "at least 1"),
        ({"county_code": "620102"}, "outside county"),
    ],
)
def test_a_draw_is_refused_when_it_cannot_be_made(change: dict, reason: str) -> None:
    arguments = {
        "county_code": COUNTY,
        "year": 2017,
        "assessor": "评估组",
        "seed": 1,
        "sample_size": 3,
        "population": frame({1: 3}),
    } | change
    with pytest.raises(RuleViolation, match=reason):
        Assessment.draw("a-1", **arguments)


# --- the rates ------------------------------------------------------------------------------


def test_rates_are_quantised_to_four_places_half_up() -> None:
    assert proportion(1, 3) == Decimal("0.3333")
    assert proportion(2, 3) == Decimal("0.6667")
    assert proportion(1, 8) == Decimal("0.1250")
    assert proportion(1, 20000) == Decimal("0.0001")  # 0.00005 rounds up
    assert proportion(1, 20001) == Decimal("0.0000")  # just under half
    assert proportion(3, 3) == Decimal("1.0000")
    assert proportion(0, 0) == Decimal("0.0000")
    assert str(proportion(37, 2000)) == "0.0185"


def published(population: list[Unit], size: int, findings: dict, surveys=()) -> Assessment:
    """Draw, record ``findings(unit) -> kwargs`` for each sampled household, publish."""
    assessment = drawn(population, size)
    for unit in list(assessment.sample.values()):
        assessment.record_finding(unit.household_id, **findings(unit))
    for surveyed, missed in surveys:
        assessment.record_survey(people_surveyed=surveyed, missed_poor_people=missed)
    assessment.publish()
    return assessment


def test_wrong_exit_rate_counts_people_of_sampled_exited_households() -> None:
    population = frame({1: 10, 2: 10}, exited_every=2)  # half exited
    wrong = iter([True, False, False])
    assessment = published(
        population,
        20,
        lambda u: (
            {"people": 4, "wrongly_exited": next(wrong, False)}
            if u.exited
            else {"people": 5}  # people of poor households never count here
        ),
    )
    results = assessment.results()
    assert (results.wrong_exit.numerator, results.wrong_exit.denominator) == (4, 40)
    assert results.wrong_exit.value == Decimal("0.1000")
    assert assessment.publication.results.wrong_exit.value == Decimal("0.1000")


def test_missed_identification_rate_adds_up_every_survey() -> None:
    assessment = published(frame({1: 3}), 3, lambda u: {"people": 2}, surveys=[(300, 2), (700, 1)])
    rate = assessment.results().missed_identification
    assert (rate.numerator, rate.denominator, rate.value) == (3, 1000, Decimal("0.0030"))
    assert assessment.publication.results.missed_identification.value == Decimal("0.0030")


def test_approval_rate_is_over_households_that_answered() -> None:
    answers = iter([True, True, False, None, True, None, True])
    assessment = published(frame({1: 7}), 7, lambda u: {"people": 1, "approves": next(answers)})
    rate = assessment.results().approval
    assert (rate.numerator, rate.denominator) == (4, 5)
    assert assessment.publication.results.approval.value == Decimal("0.8000")


def test_zero_denominators_give_zero_and_are_flagged() -> None:
    # nobody exited, no survey, nobody answered
    assessment = published(frame({1: 4}), 4, lambda u: {"people": 3})
    results = assessment.results()
    for rate in (results.wrong_exit, results.missed_identification, results.approval):
        assert rate.undefined and rate.value == Decimal("0.0000")
    assert assessment.publication.results.approval.value == Decimal("0.0000")
    answered = published(frame({1: 2}), 2, lambda u: {"people": 3, "approves": False})
    assert not answered.results().approval.undefined
    assert answered.results().approval.value == Decimal("0.0000")


def test_the_published_event_carries_the_rates_and_the_aggregate_replays() -> None:
    answers = iter([True, False, True])
    assessment = published(
        frame({1: 2, 2: 1}, exited_every=3),
        3,
        lambda u: {"people": 2, "wrongly_exited": u.exited, "approves": next(answers)},
        surveys=[(3, 1)],
    )
    events = list(assessment.pending)
    assert [type(e) for e in events] == [
        SampleDrawn,
        HouseholdFindingRecorded,
        HouseholdFindingRecorded,
        HouseholdFindingRecorded,
        SurveyRecorded,
        AssessmentPublished,
    ]
    assert events[-1] == AssessmentPublished(
        assessment_id="a-1",
        county_code=COUNTY,
        year=2017,
        results=assessment.results(),
    )
    rates = events[-1].results
    assert (rates.wrong_exit.value, rates.missed_identification.value, rates.approval.value) == (
        Decimal("1.0000"),
        Decimal("0.3333"),
        Decimal("0.6667"),
    )
    again = Assessment.replay("a-1", events)
    assert again.version == 6 and again.status == "published"
    assert again.results() == assessment.results()


# --- refusals -------------------------------------------------------------------------------


@pytest.fixture
def assessment() -> Assessment:
    return drawn(frame({1: 6, 2: 4}, exited_every=2), 5)


def some(assessment: Assessment, exited: bool) -> Unit:
    return next(u for u in assessment.sample.values() if u.exited is exited)


def test_a_finding_for_a_household_outside_the_sample_is_refused(assessment) -> None:
    outsider = next(u for u in frame({1: 6, 2: 4}) if u.household_id not in assessment.sample)
    with pytest.raises(RuleViolation, match="not in the sample"):
        assessment.record_finding(outsider.household_id, people=3)
    assert assessment.pending[1:] == []


def test_a_second_finding_for_a_household_is_refused(assessment) -> None:
    unit = some(assessment, exited=False)
    assessment.record_finding(unit.household_id, people=3, approves=True)
    with pytest.raises(Conflict, match="already has a finding"):
        assessment.record_finding(unit.household_id, people=3, approves=False)
    assert assessment.findings[unit.household_id].approves is True


def test_wrong_exit_is_stated_for_exited_households_only(assessment) -> None:
    with pytest.raises(RuleViolation, match="state whether it was wrongly exited"):
        assessment.record_finding(some(assessment, exited=True).household_id, people=3)
    with pytest.raises(RuleViolation, match="cannot be wrongly exited"):
        assessment.record_finding(
            some(assessment, exited=False).household_id, people=3, wrongly_exited=True
        )
    with pytest.raises(RuleViolation, match="at least one person"):
        assessment.record_finding(some(assessment, exited=False).household_id, people=0)
    assessment.record_finding(
        some(assessment, exited=False).household_id, people=3, wrongly_exited=False
    )


def test_a_survey_cannot_find_more_missed_poor_than_it_surveyed(assessment) -> None:
    with pytest.raises(RuleViolation, match="cannot be found among"):
        assessment.record_survey(people_surveyed=10, missed_poor_people=11)
    with pytest.raises(RuleViolation, match="at least one person"):
        assessment.record_survey(people_surveyed=0, missed_poor_people=0)


def test_publication_needs_a_finding_for_every_sampled_household(assessment) -> None:
    assessment.record_finding(some(assessment, exited=False).household_id, people=3)
    with pytest.raises(Conflict, match="4 of 5 sampled households have no finding") as refused:
        assessment.publish()
    assert refused.value.details == {"outstanding": "4"}
    assert assessment.publication is None


def test_nothing_is_recorded_after_publication(assessment) -> None:
    for unit in list(assessment.sample.values()):
        assessment.record_finding(
            unit.household_id, people=2, wrongly_exited=False if unit.exited else None
        )
    assessment.publish()
    unit = next(iter(assessment.sample))
    for command in (
        lambda: assessment.record_finding(unit, people=2),
        lambda: assessment.record_survey(people_surveyed=5, missed_poor_people=0),
        assessment.publish,
    ):
        with pytest.raises(InvalidTransition, match="the assessment is published"):
            command()
