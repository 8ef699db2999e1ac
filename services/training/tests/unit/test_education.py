"""The student-year's rules (seed 四.9(1)) on the domain alone: levels, the 2,000-yuan
grant, registration on the decision date, one of each kind per student-year."""

from dataclasses import replace
from datetime import date
from uuid import NAMESPACE_URL, uuid5

import pytest

from tuopin_contracts.events import training as tr
from tuopin_contracts.events.training import AssistanceKind, SchoolingLevel
from tuopin_eventkit.store.aggregate import Conflict
from tuopin_training.domain.education import Pupil, StudentYear
from tuopin_training.domain.rules import Refused

HOME, A1, A2 = (uuid5(NAMESPACE_URL, n) for n in ("h1", "a1", "a2"))
PUPIL = Pupil(str(HOME), "621121", identified_on=date(2016, 4, 1), removed_on=None)
GRANT = tr.EducationAssistanceRecordedV1(
    assistance_id=A1,
    county_code="621121",
    household_id=HOME,
    village_code="621121100201",
    id_number_hash="x" * 64,
    id_number_masked="**************1234",
    academic_year=2017,
    level=SchoolingLevel.SECONDARY_VOCATIONAL,
    kind=AssistanceKind.GRANT,
    school="职专",
    amount_fen=200_000,
    decided_on=date(2017, 10, 15),
)


def changed(**fields: object) -> tr.EducationAssistanceRecordedV1:
    return GRANT.model_copy(update=fields)


def refusal(event: tr.EducationAssistanceRecordedV1, pupil: Pupil = PUPIL) -> str:
    with pytest.raises(Refused) as refused:
        StudentYear("s").grant(event, pupil)
    return refused.value.rule


def test_seed_4_9_1_grant_is_2000_yuan_for_secondary_vocational_once_a_year() -> None:
    year = StudentYear("s")
    year.grant(GRANT, PUPIL)
    year.grant(
        changed(assistance_id=A2, kind=AssistanceKind.BOOK_FEE_WAIVER, amount_fen=30_000), PUPIL
    )
    assert year.received[AssistanceKind.GRANT].amount_fen == 200_000 and year.version == 2
    with pytest.raises(Conflict) as clash:
        year.grant(changed(decided_on=date(2018, 3, 1)), PUPIL)
    assert clash.value.details == {"assistance_id": str(A1)}


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"level": SchoolingLevel.HIGHER_VOCATIONAL}, "schooling-level"),  # the grant is 中职 only
        (
            {"level": SchoolingLevel.PRESCHOOL, "kind": AssistanceKind.TUITION_WAIVER},
            "schooling-level",
        ),
        ({"kind": AssistanceKind.CARE_FEE_WAIVER}, "schooling-level"),  # 保教费: preschool only
        ({"amount_fen": 150_000}, "grant-amount"),
        ({"county_code": "621122"}, "county"),
        ({"decided_on": date(2016, 3, 31)}, "registered-poor-household"),
        ({"decided_on": date(2019, 1, 2)}, "academic-year"),  # 2017–18 is long over
    ],
)
def test_seed_4_9_1_refusals(changes: dict, rule: str) -> None:
    assert refusal(changed(**changes)) == rule


def test_seed_4_9_1_a_removed_household_is_not_eligible_from_its_removal() -> None:
    removed = replace(PUPIL, removed_on=date(2017, 6, 1))
    assert refusal(GRANT, removed) == "registered-poor-household"
    StudentYear("s").grant(changed(decided_on=date(2017, 5, 31)), removed)
