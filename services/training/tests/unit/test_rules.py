"""The training rules, driven on the aggregates directly: accreditation limits, enrolment
eligibility, completion → certificate, verification standing and revocation."""

from dataclasses import replace
from datetime import date
from uuid import NAMESPACE_URL, uuid5

import pytest

from tuopin_contracts.dates import FIRST_DAY
from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import InvalidTransition
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.certificate import Basis, Certificate
from tuopin_training.domain.enrolment import Enrolment, Stage, Trainee
from tuopin_training.domain.programme import Programme
from tuopin_training.domain.records import Placement
from tuopin_training.domain.rules import Refused

COOK = "4-03-02-01"  # 中式烹调师
WELDER = "6-18-02-04"
C1, C2, P1, E1, X1, HH1, PL1, A1 = (
    uuid5(NAMESPACE_URL, n) for n in "c1 c2 p1 e1 x1 hh1 pl1 a1".split()
)
WHO = "keyed-hash-of-an-id-number"


def accreditation(highest_level: int = 3) -> tr.CentreAccreditedV1:
    return tr.CentreAccreditedV1(
        centre_id=C1,
        name="定西职教中心",
        county_code="621121",
        valid_from=date(2016, 1, 1),
        valid_until=date(2018, 12, 31),
        occupations=[
            tr.Accreditation(
                occupation=COOK, occupation_name="中式烹调师", highest_level=highest_level
            )
        ],
    )


def centre(highest_level: int = 3) -> Centre:
    return Centre.accredit(accreditation(highest_level))


def programme(
    kind: tr.ProgrammeKind = tr.ProgrammeKind.EMPLOYMENT_SKILLS, **more: object
) -> Programme:
    opening = tr.ProgrammeOpenedV1(
        centre_id=C1,
        programme_id=P1,
        title="拉面技能",
        kind=kind,
        occupation=COOK,
        level=4,
        capacity=2,
        starts_on=date(2016, 5, 1),
        ends_on=date(2016, 7, 31),
        free_for_poor_labour=True,
        fee_fen=0,
    )
    return Programme.open(opening.model_copy(update=more), centre())


def person(born: date = date(1985, 5, 17), status: str = "assisting", who: str = WHO) -> Trainee:
    return Trainee(str(HH1), "621121100201", who, "6211**********1234", born, status)


def enrol(
    prog: Programme | None = None,
    trainee: Trainee | None = None,
    on: date = date(2016, 5, 1),
    seats: int = 0,
    overlapping: list[str] | None = None,
) -> Enrolment:
    prog = prog or programme()
    trainee = trainee or person()
    event = tr.EnrolledV1(
        centre_id=C1,
        enrolment_id=E1,
        enrolment_ref="R1",
        programme_id=prog.id,
        kind=prog.kind,
        enrolled_on=on,
        household_id=trainee.household_id,
        village_code=trainee.village_code,
        id_number_hash=trainee.id_number_hash,
        id_number_masked=trainee.id_number_masked,
    )
    return Enrolment.enrol(event, prog, trainee, seats, overlapping or [])


def refused(rule: str):
    return pytest.raises(Refused, match=rf"^\[{rule}\]")


# --- accreditation -----------------------------------------------------------------------


def test_a_centre_certifies_its_highest_level_and_the_levels_below_only() -> None:
    accredited = centre(highest_level=3)
    for level in (5, 4, 3):
        assert accredited.authorise(COOK, level, date(2017, 1, 1)).highest_level == 3
    with refused("accreditation-level"):
        accredited.authorise(COOK, 2, date(2017, 1, 1))


def test_an_occupation_outside_the_accreditation_or_a_day_outside_its_period_is_refused() -> None:
    with refused("accreditation-occupation"):
        centre().authorise(WELDER, 5, date(2017, 1, 1))
    with refused("accreditation-period"):
        centre().authorise(COOK, 5, date(2019, 1, 1))


def test_withdrawal_ends_the_accreditation_from_its_day_and_a_new_term_restores_it() -> None:
    accredited = centre()
    accredited.withdraw(
        tr.AccreditationWithdrawnV1(
            centre_id=C1, withdrawn_on=date(2017, 3, 1), reason="教学质量不合格"
        )
    )
    accredited.authorise(COOK, 5, date(2017, 2, 28))
    with refused("accreditation-period"):
        accredited.authorise(COOK, 5, date(2017, 3, 1))
    renewal = accreditation().model_copy(update={"valid_from": date(2017, 2, 1)})
    with refused("accreditation-period"):
        accredited.reaccredit(renewal)  # may not reach back before the withdrawal
    accredited.reaccredit(renewal.model_copy(update={"valid_from": date(2017, 6, 1)}))
    assert accredited.authorise(COOK, 5, date(2017, 6, 1))


def test_a_programme_opens_only_within_its_centres_accreditation() -> None:
    with refused("accreditation-level"):
        programme(level=2)
    with refused("accreditation-occupation"):
        programme(occupation=WELDER)


def test_two_after_school_education_lasts_two_to_three_years() -> None:
    with refused("two-after-school-duration"):
        programme(tr.ProgrammeKind.TWO_AFTER_SCHOOL)
    long = programme(tr.ProgrammeKind.TWO_AFTER_SCHOOL, ends_on=date(2018, 7, 1))
    assert long.kind is tr.ProgrammeKind.TWO_AFTER_SCHOOL


# --- eligibility -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "eligible"),
    [
        (date(2000, 5, 2), False),  # 15 on the day
        (date(2000, 5, 1), True),  # 16 that very day
        (date(1956, 5, 2), True),  # 59
        (date(1956, 5, 1), False),  # 60 that day
    ],
)
def test_working_age_is_16_to_59_on_the_day_of_enrolment(born: date, eligible: bool) -> None:
    if eligible:
        assert enrol(trainee=person(born)).stage is Stage.ENROLLED
    else:
        with refused("working-age"):
            enrol(trainee=person(born))


def test_two_after_school_youth_may_enrol_below_working_age() -> None:
    youth = programme(tr.ProgrammeKind.TWO_AFTER_SCHOOL, ends_on=date(2018, 7, 1))
    assert enrol(youth, person(date(2001, 9, 1))).stage is Stage.ENROLLED
    with refused("two-after-school-age"):
        enrol(youth, person(date(1980, 1, 1)))


def test_removed_households_overlaps_full_programmes_and_late_enrolments_are_refused() -> None:
    with refused("household-removed"):
        enrol(trainee=person(status="removed"))
    with refused("overlapping-enrolment"):
        enrol(overlapping=["R0"])
    with refused("capacity"):
        enrol(seats=2)
    with refused("enrolment-date"):
        enrol(on=date(2016, 8, 1))
    with refused("age-unknown"):
        enrol(trainee=replace(person(), birth_date=None))


def test_a_centre_enrols_only_in_its_own_programmes() -> None:
    prog = programme()
    prog.opened = prog.opened.model_copy(update={"centre_id": C2})
    with refused("own-programme"):
        enrol(prog)


# --- completion → certificate, verification, revocation -----------------------------------


def completed(enrolment: Enrolment, on: date = date(2016, 7, 31)) -> Enrolment:
    enrolment.complete(
        tr.CompletedV1(
            centre_id=C1,
            enrolment_id=E1,
            household_id=HH1,
            id_number_hash=WHO,
            kind=tr.ProgrammeKind.EMPLOYMENT_SKILLS,
            completed_on=on,
        )
    )
    return enrolment


def basis(enrolment: Enrolment, level: int = 4) -> Basis:
    return Basis(
        tr.CertificateBasis.COMPLETION,
        enrolment.id,
        enrolment.enrolled.id_number_hash,
        COOK,
        level,
        enrolment.completed_on,
    )


def issue(on_basis: Basis, level: int = 4, on: date = date(2016, 8, 10), who: str = WHO):
    event = tr.CertificateIssuedV1(
        centre_id=C1,
        certificate_id=X1,
        number="GS-2016-0001",
        occupation=COOK,
        occupation_name="-",
        level=level,
        issued_on=on,
        valid_until=None,
        basis=tr.CertificateBasis.COMPLETION,
        basis_id=on_basis.basis_id,
        household_id=HH1,
        village_code="621121100201",
        id_number_hash=who,
        id_number_masked="6211**********1234",
    )
    return Certificate.issue(event, centre(), on_basis)


def test_a_certificate_needs_a_completed_programme_of_its_occupation_and_level() -> None:
    with refused("basis-achieved"):
        issue(basis(enrol()))
    done = completed(enrol())
    with refused("basis-level"):
        issue(basis(done), level=3)  # trained for 4, not 3
    with refused("basis-holder"):
        issue(basis(done), who="someone-else-entirely")
    with refused("issue-date"):
        issue(basis(done), on=date(2016, 7, 30))
    with refused("basis-occupation"):
        issue(replace(basis(done), occupation=WELDER))
    certificate = issue(basis(done))
    assert certificate.issued.occupation_name == "中式烹调师"  # the accreditation's name


def test_the_issuers_accreditation_on_the_issue_day_decides() -> None:
    done = completed(enrol())
    with refused("accreditation-period"):
        issue(basis(done), on=date(2019, 1, 2))


def test_a_dropped_out_trainee_cannot_complete() -> None:
    enrolment = enrol()
    enrolment.drop_out(
        tr.DroppedOutV1(centre_id=C1, enrolment_id=E1, left_on=date(2016, 6, 1), reason="employed")
    )
    with pytest.raises(InvalidTransition):
        completed(enrolment)


def test_revocation_changes_what_verification_says_from_its_day_and_happens_once() -> None:
    certificate = issue(basis(completed(enrol())))
    assert certificate.standing(date(2016, 8, 10)) == "valid"
    revocation = tr.CertificateRevokedV1(
        centre_id=C1,
        certificate_id=X1,
        number="GS-2016-0001",
        household_id=HH1,
        id_number_hash=WHO,
        revoked_on=date(2017, 1, 5),
        reason="鉴定舞弊",
    )
    with refused("issuer-only"):
        certificate.revoke(revocation.model_copy(update={"centre_id": C2}))
    certificate.revoke(revocation)
    assert certificate.standing(date(2017, 1, 4)) == "valid"
    assert certificate.standing(date(2017, 1, 5)) == "revoked"
    with pytest.raises(InvalidTransition):
        certificate.revoke(revocation)


def test_a_withdrawal_on_the_first_day_the_bounds_allow_ends_the_day_before() -> None:
    """Withdrawals stop at 1900-01-01 (tuopin_contracts.bounds): the accreditation's last
    day is 1899-12-31, where 0001-01-01 overflowed."""
    accredited = Centre.accredit(accreditation().model_copy(update={"valid_from": FIRST_DAY}))
    accredited.withdraw(
        tr.AccreditationWithdrawnV1(centre_id=C1, withdrawn_on=FIRST_DAY, reason="撤销")
    )
    with refused("accreditation-period"):
        accredited.authorise(COOK, 5, FIRST_DAY)


def test_a_record_holds_only_its_own_kind_of_fact() -> None:
    """A placement's stream never turns into an appraisal: a record refuses another fact."""
    person = {
        "centre_id": C1,
        "household_id": HH1,
        "village_code": "621121100001",
        "id_number_hash": WHO,
        "id_number_masked": "6211**********0011",
    }
    placement = Placement.record_placement(
        tr.PlacementRecordedV1(
            placement_id=PL1,
            placement_ref="L-1",
            employer="兰州拉面馆",
            place="上海",
            outside_province=True,
            start_date=date(2017, 3, 1),
            months_worked=6,
            **person,
        )
    )
    appraisal = tr.AppraisalRecordedV1(
        appraisal_id=A1,
        appraisal_ref="J-1",
        occupation=COOK,
        level=4,
        appraised_on=date(2017, 1, 5),
        passed=True,
        **person,
    )
    with pytest.raises(TypeError, match="Placement cannot apply AppraisalRecorded"):
        placement.record(appraisal)
    assert placement.recorded.placement_id == PL1
    assert placement.version == 1
