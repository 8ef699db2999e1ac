"""The household aggregate's rules and its state machine, without any I/O."""

from datetime import date, timedelta
from uuid import NAMESPACE_URL, uuid5

import pytest
from pydantic import ValidationError

from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import wage_income
from tuopin_contracts.vocabulary import (
    HouseholdStatus,
    PovertyAttribute,
    PovertyCause,
    Relation,
    Schooling,
)
from tuopin_eventkit.store.aggregate import InvalidTransition, RuleViolation
from tuopin_registry.domain.filing import Violation, filing_violations
from tuopin_registry.domain.household import LIFECYCLE, Household

DAY = date(2016, 4, 1)


def uid(name: str) -> str:
    """A stable id for a name used in these tests (the contracts' ids are UUIDs)."""
    return str(uuid5(NAMESPACE_URL, f"tuopin:test:{name}"))


H1 = uid("h1")


def person(
    pid: str, relation: Relation = Relation.CHILD, identity: str | None = None
) -> reg.SealedMember:
    return reg.SealedMember(person_id=uid(pid), relation=relation, id_number_hash=identity or pid)


VALUES = dict(
    household_id=H1,
    effective_date=DAY,
    file_number="F1",
    county_code="621121",
    village_code="621121100201",
    poverty_attribute=PovertyAttribute.GENERAL,
    primary_cause=PovertyCause.ILLNESS,
    secondary_causes=[PovertyCause.LACK_OF_FUNDS],
    members=[person("p1", Relation.HEAD), person("p2")],
    identified_year=2016,
)


def filed(**changes) -> Household:
    return Household.register(**{**VALUES, **changes})


def at(status: HouseholdStatus) -> Household:
    """A household walked to ``status`` along the legal path."""
    h = filed()
    path = {
        HouseholdStatus.IDENTIFIED: [],
        HouseholdStatus.ASSISTING: [lambda: h.start_assistance(DAY, None)],
        HouseholdStatus.EXIT_PROPOSED: [
            lambda: h.start_assistance(DAY, None),
            lambda: h.propose_exit(date(2017, 10, 1), None),
        ],
        HouseholdStatus.EXIT_PUBLICISED: [
            lambda: h.start_assistance(DAY, None),
            lambda: h.propose_exit(date(2017, 10, 1), None),
            lambda: h.publicise_exit(date(2017, 10, 2), date(2017, 10, 8), None),
        ],
    }
    if status in (HouseholdStatus.EXITED, HouseholdStatus.RETURNED):
        for step in path[HouseholdStatus.EXIT_PUBLICISED]:
            step()
        h.conclude_verification(uid("v1"), True, [], date(2017, 10, 9))
        if status is HouseholdStatus.RETURNED:
            h.return_to_poverty(PovertyCause.DISASTER, date(2018, 7, 1), "flood")
    elif status is HouseholdStatus.REMOVED:
        h.remove(DAY, "not poor: owns a truck")
    else:
        for step in path[status]:
            step()
    assert h.status is status
    return h


def test_filing_records_one_event_and_identifies_the_household() -> None:
    h = filed()
    assert [type(e) for e in h.pending] == [reg.HouseholdRegisteredV3]
    assert (h.status, h.version, h.size) == (HouseholdStatus.IDENTIFIED, 1, 2)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"village_code": "621122100201"}, "does not lie in county"),
        ({"members": [person("p1"), person("p2")]}, "exactly one head"),
        ({"members": [person("p1", Relation.HEAD), person("p2", identity="p1")]}, "twice"),
        ({"secondary_causes": [PovertyCause.ILLNESS]}, "cannot be secondary"),
    ],
)
def test_filing_rules(changes, message) -> None:
    with pytest.raises(RuleViolation, match=message):
        filed(**changes)


def test_a_filing_is_told_every_rule_it_breaks_with_the_field_and_the_member() -> None:
    """As loans' eligibility names every rule an application fails: the import reports
    each at its row and column, the API in one message naming each rule once."""
    members = [
        person("p1", Relation.HEAD),
        person("p2", Relation.HEAD),
        person("p3", identity="p1"),
        person("p4", Relation.HEAD),
    ]
    changes = dict(
        village_code="621122100201",
        members=members,
        secondary_causes=[PovertyCause.ILLNESS, PovertyCause.DISASTER, PovertyCause.DISASTER],
    )
    heads = "a household has exactly one head, not 3"
    assert filing_violations(**{**VALUES, **changes}) == [
        Violation("village_code", "village 621122100201 does not lie in county 621121"),
        Violation("relation", heads, 1),
        Violation("relation", heads, 3),
        Violation("id_number", "the same person appears twice in the household", 2),
        Violation("secondary_causes", "illness is the primary cause; it cannot be secondary too"),
        Violation("secondary_causes", "a secondary cause is listed twice"),
    ]
    with pytest.raises(RuleViolation) as refused:
        filed(**changes)
    assert str(refused.value) == (
        "village 621122100201 does not lie in county 621121; "
        f"{heads}; the same person appears twice in the household; "
        "illness is the primary cause; it cannot be secondary too; "
        "a secondary cause is listed twice"
    )
    no_head = [person("p1"), person("p2")]
    assert filing_violations(**{**VALUES, "members": no_head}) == [
        Violation("relation", "a household has exactly one head, not 0")
    ]
    assert filing_violations(**VALUES) == []


LATER = date(2019, 1, 1)  # after every step of ``at``: each command is in date order
COMMANDS = {
    "start assistance": lambda h: h.start_assistance(LATER, None),
    "propose exit": lambda h: h.propose_exit(LATER, None),
    "publicise exit": lambda h: h.publicise_exit(LATER, date(2019, 1, 7), None),
    "confirm or reject exit": lambda h: h.conclude_verification(uid("v"), True, [], LATER),
    "return to poverty": lambda h: h.return_to_poverty(PovertyCause.ILLNESS, LATER, None),
    "annul a mistaken exit": lambda h: h.annul_exit("verdict on the wrong household"),
    "remove as wrongly identified": lambda h: h.remove(LATER, "wrongly identified"),
}


@pytest.mark.parametrize("status", list(HouseholdStatus))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_lifecycle_command_in_every_status(status: HouseholdStatus, command: str) -> None:
    """Legal transitions record one event; illegal ones name the current state."""
    h = at(status)
    before = h.version
    if status in LIFECYCLE[command]:
        COMMANDS[command](h)
        assert h.version == before + 1
    else:
        with pytest.raises(InvalidTransition, match=f"the household is {status}"):
            COMMANDS[command](h)
        assert h.version == before


def test_a_failed_verification_returns_the_household_to_assistance_with_reasons() -> None:
    h = at(HouseholdStatus.EXIT_PUBLICISED)
    h.conclude_verification(
        uid("v2"), False, ["income_per_head", "housing_safe"], date(2017, 10, 9)
    )
    rejected = h.pending[-1]
    assert isinstance(rejected, reg.ExitRejectedV1)
    assert rejected.failed_criteria == ["income_per_head", "housing_safe"]
    assert h.status is HouseholdStatus.ASSISTING


def test_the_public_notice_lasts_at_least_seven_days() -> None:
    h = at(HouseholdStatus.EXIT_PROPOSED)
    with pytest.raises(RuleViolation, match="at least 7 days"):
        h.publicise_exit(date(2017, 10, 2), date(2017, 10, 7), None)
    h.publicise_exit(date(2017, 10, 2), date(2017, 10, 8), None)


def test_members_come_and_go_but_the_head_stays() -> None:
    h = filed()
    h.add_member(reg.MemberAddedV2(household_id=H1, effective_date=DAY, member=person("p3")))
    with pytest.raises(RuleViolation, match="twice"):
        h.add_member(reg.MemberAddedV2(household_id=H1, effective_date=DAY, member=person("p3")))
    h.remove_member(reg.MemberRemovedV1(household_id=H1, effective_date=DAY, person_id=uid("p2")))
    with pytest.raises(RuleViolation, match="head of household cannot be removed"):
        h.remove_member(
            reg.MemberRemovedV1(household_id=H1, effective_date=DAY, person_id=uid("p1"))
        )
    assert sorted(h.members) == sorted([uid("p1"), uid("p3")])


def test_a_members_change_changes_what_it_gives_and_nothing_else() -> None:
    h = filed()
    change = dict(household_id=H1, effective_date=DAY, person_id=uid("p2"))
    h.update_member(reg.MemberUpdatedV2(**change, schooling=Schooling.PRIMARY, sealed="re-sealed"))
    h.update_member(reg.MemberUpdatedV2(**change, has_disability=True))
    p2 = h.members[uid("p2")]
    assert (p2.schooling, p2.has_disability, p2.sealed) == (Schooling.PRIMARY, True, "re-sealed")
    assert (p2.relation, p2.id_number_hash, p2.education) == (Relation.CHILD, "p2", None)
    with pytest.raises(RuleViolation, match="not a member"):
        h.update_member(reg.MemberUpdatedV2(**{**change, "person_id": uid("p9")}))
    assert Household.replay(H1, h.pending).members == h.members


def test_income_per_head_is_the_total_over_the_members_in_fen() -> None:
    h = filed()
    ok = dict(
        household_id=H1,
        effective_date=DAY,
        year=2016,
        wages=300_000,
        production_and_business=120_001,
        property=0,
        transfers=80_000,
    )
    h.record_income(reg.IncomeRecordedV1(**ok, members=2, per_head=250_000))
    with pytest.raises(RuleViolation, match="per head of 2 members"):
        h.record_income(reg.IncomeRecordedV1(**ok, members=3, per_head=166_667))
    with pytest.raises(RuleViolation, match="total divided"):
        h.record_income(reg.IncomeRecordedV1(**ok, members=2, per_head=250_001))


def test_measure_progress_only_moves_forward_and_completes_at_100() -> None:
    h = filed()
    h.plan_measure(
        reg.MeasurePlannedV1(
            household_id=H1,
            effective_date=DAY,
            measure_id=uid("m1"),
            kind="industry",
            plan="two cattle",
            funds=1_000_000,
            due_date=date(2016, 12, 31),
        )
    )

    def progress(pct: int, spent: int, done: bool = False) -> None:
        h.record_progress(
            reg.MeasureProgressedV1(
                household_id=H1,
                effective_date=DAY,
                measure_id=uid("m1"),
                progress_percent=pct,
                spent=spent,
                note="",
                completed=done,
            )
        )

    progress(50, 400_000)
    with pytest.raises(RuleViolation, match="cannot go back"):
        progress(40, 400_000)
    with pytest.raises(RuleViolation, match="exactly when"):
        progress(100, 900_000)
    progress(100, 900_000, done=True)
    with pytest.raises(RuleViolation, match="already completed"):
        progress(100, 900_000, done=True)


def test_a_removed_file_is_closed_to_changes() -> None:
    h = at(HouseholdStatus.REMOVED)
    with pytest.raises(InvalidTransition, match="the household is removed"):
        h.assign_responsibility(
            reg.ResponsibilityAssignedV1(
                household_id=H1, effective_date=DAY, cadre_name="张", cadre_unit="县财政局"
            )
        )


def test_replay_rebuilds_the_same_state() -> None:
    h = at(HouseholdStatus.RETURNED)
    again = Household.replay(H1, h.pending)
    assert (again.status, again.version, again.size) == (h.status, h.version, h.size)


def test_a_lifecycle_step_cannot_predate_the_status_it_leaves() -> None:
    """Back-filled years are entered late, never out of order: an exit proposed before
    the assistance it would end began is refused, naming the date it may not precede."""
    h = at(HouseholdStatus.ASSISTING)  # assisting since DAY
    with pytest.raises(RuleViolation, match=f"assisting since {DAY}"):
        h.propose_exit(DAY - timedelta(days=1), None)
    h.propose_exit(DAY, "appraised the same day")
    assert (h.status, h.status_since) == (HouseholdStatus.EXIT_PROPOSED, DAY)


def test_an_exit_takes_effect_on_the_day_the_verdict_judged_as_of() -> None:
    h = at(HouseholdStatus.EXIT_PUBLICISED)
    h.conclude_verification(uid("v"), True, [], date(2017, 10, 8))
    assert h.pending[-1].effective_date == date(2017, 10, 8)
    assert h.status_since == date(2017, 10, 8)


def test_a_mistaken_exit_is_annulled_from_its_own_date_with_a_reason() -> None:
    h = at(HouseholdStatus.EXITED)  # exited 2017-10-09
    with pytest.raises(RuleViolation, match="reason"):
        h.annul_exit("  ")
    h.annul_exit("the verdict was for another household")
    annulled = h.pending[-1]
    assert isinstance(annulled, reg.ExitAnnulledV1)
    assert (annulled.effective_date, h.status) == (date(2017, 10, 9), HouseholdStatus.ASSISTING)
    with pytest.raises(InvalidTransition, match="assisting"):
        h.annul_exit("again")


def test_an_income_correction_replaces_the_year_and_needs_a_recorded_year_and_reason() -> None:
    h = filed()
    income = wage_income(H1, 2016, 300000, 2).model_dump(exclude={"reason"})
    with pytest.raises(RuleViolation, match="no income of 2016"):
        h.correct_income(reg.IncomeCorrectedV1(**income, reason="typo"))
    h.record_income(reg.IncomeRecordedV1(**income))
    with pytest.raises(RuleViolation, match="reason"):
        h.correct_income(reg.IncomeCorrectedV1(**income, reason="  "))
    with pytest.raises(ValidationError, match="reason"):  # the correction's contract
        reg.IncomeCorrectedV1(**income)
    fixed = income | {"wages": 500000, "per_head": 250000, "reason": "bank statement"}
    h.correct_income(reg.IncomeCorrectedV1(**fixed))
    assert h.incomes[2016].per_head == 250000
