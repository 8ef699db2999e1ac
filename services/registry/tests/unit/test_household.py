"""The household aggregate's rules, without any I/O."""

import pytest

from tuopin_eventkit.aggregate import InvalidTransition, RuleViolation
from tuopin_registry.domain.household import Household, HouseholdRegistered


def test_registering_records_one_event_and_identifies_the_household() -> None:
    household = Household.register("h1", "621121", "621121100201", "  王建国 ", 4)
    assert household.pending == [HouseholdRegistered("h1", "621121", "621121100201", "王建国", 4)]
    assert (household.status, household.version) == ("identified", 1)


def test_a_village_outside_the_county_is_refused() -> None:
    with pytest.raises(RuleViolation, match="does not lie in county 621122"):
        Household.register("h1", "621122", "621121100201", "王建国", 4)


def test_replay_rebuilds_the_same_state_and_a_second_registration_is_refused() -> None:
    registered = HouseholdRegistered("h1", "621121", "621121100201", "王建国", 4)
    household = Household.replay("h1", [registered])
    assert (household.status, household.version, household.pending) == ("identified", 1, [])
    with pytest.raises(InvalidTransition, match="the household is identified"):
        household.record(registered)
