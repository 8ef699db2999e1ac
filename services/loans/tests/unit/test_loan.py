"""A loan's postings: the legal path, and each impossible posting refused whole."""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from tuopin_contracts.dates import FIRST_DAY, LAST_DAY, school_year, school_year_of
from tuopin_contracts.events import loans as lo
from tuopin_contracts.vocabulary import HouseholdStatus, LoanProduct, Schooling
from tuopin_eventkit.store.aggregate import InvalidTransition, RuleViolation
from tuopin_loans.application.reference import programme
from tuopin_loans.domain import rules
from tuopin_loans.domain.loan import Loan, LoanState, add_months

MICRO = rules.product_rule(programme().products, LoanProduct.MICROCREDIT, date(2016, 5, 1))


def approved(amount: int = 5_000_000, term: int = 36, on: date = date(2016, 5, 1)) -> Loan:
    return Loan.approve(
        lo.LoanApprovedV1(
            loan_id=uuid4(),
            bank_id="rcc",
            household_id=uuid4(),
            county_code="621121",
            product=LoanProduct.MICROCREDIT,
            loan_ref="R1",
            borrower_hash="x",
            borrower_masked="6211**********1234",
            amount=amount,
            term_months=term,
            decided_on=on,
        )
    )


def signed(on: date = date(2016, 5, 3)) -> Loan:
    loan = approved()
    rate = rules.benchmark(programme().rates, 36, on)
    loan.sign(on, 5_000_000, 36, MICRO, rate)
    return loan


def test_signing_takes_the_benchmark_rate_in_force_that_day() -> None:
    loan = signed(date(2016, 5, 3))
    assert loan.contract is not None
    assert loan.contract.annual_rate == Decimal("0.0475")  # 1–5 years since 24 Oct 2015
    assert loan.contract.maturity_date == date(2019, 5, 3)
    assert loan.contract.subsidy_until == date(2019, 5, 2)  # the whole term (全额贴息)
    early = approved(term=12, on=date(2015, 6, 30))
    early.sign(
        date(2015, 7, 1),
        5_000_000,
        12,
        MICRO,
        rules.benchmark(programme().rates, 12, date(2015, 7, 1)),
    )
    assert early.contract is not None and early.contract.annual_rate == Decimal("0.0485")


def test_the_whole_life_of_a_loan() -> None:
    loan = signed()
    loan.disburse(5_000_000, date(2016, 5, 5))
    loan.repay(1_000_000, 20_000, date(2016, 8, 20))
    loan.report_overdue(45, date(2016, 12, 1))
    loan.default(date(2017, 3, 1))
    loan.write_off(date(2017, 9, 1))
    loan.repay(500_000, 0, date(2017, 10, 1))  # recovered after write-off
    assert loan.state == LoanState.WRITTEN_OFF and loan.outstanding == 3_500_000
    replayed = Loan.replay(loan.id, loan.pending)
    assert replayed.outstanding == 3_500_000 and replayed.state == LoanState.WRITTEN_OFF


def test_repaying_everything_closes_the_loan() -> None:
    loan = signed()
    loan.disburse(5_000_000, date(2016, 5, 5))
    loan.repay(5_000_000, 100_000, date(2017, 5, 5))
    assert loan.state == LoanState.REPAID
    with pytest.raises(InvalidTransition):
        loan.repay(1, 0, date(2017, 5, 6))


@pytest.mark.parametrize(
    ("posting", "error"),
    [
        (
            lambda loan: loan.repay(100, 0, date(2016, 5, 10)),
            InvalidTransition,
        ),  # before disbursement
        (
            lambda loan: loan.disburse(5_000_001, date(2016, 5, 5)),
            RuleViolation,
        ),  # over the contract
        (lambda loan: loan.disburse(100, date(2016, 5, 1)), RuleViolation),  # before signing
        (lambda loan: loan.write_off(date(2016, 6, 1)), InvalidTransition),  # not defaulted
        (lambda loan: loan.default(date(2016, 6, 1)), InvalidTransition),  # nothing disbursed
    ],
)
def test_impossible_postings_are_refused_and_record_nothing(posting, error) -> None:
    loan = signed()
    before = loan.version
    with pytest.raises(error):
        posting(loan)
    assert loan.version == before


def test_more_than_outstanding_or_out_of_order_is_refused() -> None:
    loan = signed()
    loan.disburse(2_000_000, date(2016, 5, 5))
    with pytest.raises(RuleViolation, match=r"exceeds the 20000\.00 yuan outstanding"):
        loan.repay(2_000_001, 0, date(2016, 6, 1))
    with pytest.raises(RuleViolation, match="earlier than the loan's last posting"):
        loan.repay(100, 0, date(2016, 5, 4))
    with pytest.raises(RuleViolation, match="exceeds the approval"):
        approved().sign(
            date(2016, 5, 3),
            5_000_001,
            36,
            MICRO,
            rules.benchmark(programme().rates, 36, date(2016, 5, 3)),
        )


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(date(2016, 1, 31), 1) == date(2016, 2, 29)
    assert add_months(date(2015, 1, 31), 1) == date(2015, 2, 28)
    assert add_months(date(2016, 11, 15), 3) == date(2017, 2, 15)


def borrower(**changes) -> rules.Borrower:
    facts = dict(
        household_status=HouseholdStatus.ASSISTING,
        status_since=date(2016, 4, 1),
        identified_on=date(2016, 4, 1),
        relocating=False,
        birth_date=date(1980, 1, 1),
        schooling=None,
        outstanding=0,
    )
    return rules.Borrower(**{**facts, **changes})


def failed(
    rule: rules.ProductRule,
    facts: rules.Borrower,
    amount: int = 5_000_000,
    term: int = 36,
    **year: int | None,
) -> list[str]:
    """The rules failed on 1 May 2016; a student loan for the 2015–16 school year unless
    ``academic_year`` says otherwise."""
    academic_year = year.get("academic_year", 2015 if rule.student else None)
    day = date(2016, 5, 1)
    return [
        f.split(":")[0] for f in rules.ineligibility(rule, facts, amount, term, day, academic_year)
    ]


def test_each_eligibility_rule_fails_on_its_own() -> None:
    p = programme().products
    on = date(2016, 5, 1)
    relocation = rules.product_rule(p, LoanProduct.RELOCATION, on)
    student = rules.product_rule(p, LoanProduct.STUDENT, on)
    assert failed(MICRO, borrower()) == []
    assert failed(MICRO, borrower(household_status=None, identified_on=None)) == [
        "registered_household"
    ]
    assert failed(MICRO, borrower(household_status=HouseholdStatus.EXITED)) == [
        "poor_on_application_date"
    ]
    assert failed(MICRO, borrower(birth_date=None)) == ["borrower_member"]
    assert failed(MICRO, borrower(birth_date=date(2000, 1, 1))) == ["borrower_age"]
    assert failed(MICRO, borrower(), term=37) == ["term_limit"]
    assert failed(MICRO, borrower(outstanding=1_000_000)) == ["amount_limit"]
    assert failed(MICRO, borrower(outstanding=1_000_000), amount=4_000_000) == []
    assert failed(relocation, borrower()) == ["relocating_household"]
    assert failed(relocation, borrower(relocating=True)) == []
    assert failed(student, borrower(), amount=800_000, term=120) == ["student_level"]
    pupil = borrower(birth_date=date(1998, 1, 1), schooling=Schooling.TERTIARY, outstanding=800_000)
    assert failed(student, pupil, amount=800_000, term=120) == []  # not the household's
    assert failed(student, pupil, amount=800_001, term=120) == ["student_year_limit"]
    # A student loan names its school year, decided in the year's first or second calendar
    # year (May 2016: for 2015–16, or for 2016–17 ahead of it; not for 2017–18 or 2014–15).
    assert failed(student, pupil, amount=800_000, term=120, academic_year=None) == ["academic_year"]
    assert failed(student, pupil, amount=800_000, term=120, academic_year=2016) == []
    for too_far in (2014, 2017):
        assert failed(student, pupil, amount=1, term=120, academic_year=too_far) == [
            "academic_year"
        ]
    assert failed(MICRO, borrower(), academic_year=2015) == ["academic_year"]


def test_student_loans_are_for_undergraduate_and_higher_vocational_students_8000_a_year() -> None:
    """Seed 9(1): 对贫困家庭本科、高职(专科)学生每生每学年解决8000元以内生源地信用助学贴息贷款
    — the cap is the student's for the academic year (1 September – 31 August), whatever
    loans and banks it is split over; senior-secondary and 中职 pupils, and postgraduates,
    get no such loan."""
    student = rules.product_rule(programme().products, LoanProduct.STUDENT, date(2016, 9, 1))
    at = borrower(birth_date=date(1998, 1, 1), schooling=Schooling.TERTIARY)
    assert failed(student, at, amount=800_000, term=120) == []
    assert failed(
        student, borrower(**{**at.__dict__, "student_year": 500_000}), amount=300_001, term=120
    ) == ["student_year_limit"]
    for level in (Schooling.SENIOR_SECONDARY, Schooling.VOCATIONAL, Schooling.POSTGRADUATE, None):
        pupil = borrower(birth_date=date(2000, 1, 1), schooling=level)
        assert failed(student, pupil, amount=100_000, term=120) == ["student_level"]
    assert school_year(2016) == (date(2016, 9, 1), date(2017, 8, 31))
    assert [school_year_of(date(2016, 8, 31)), school_year_of(date(2016, 9, 1))] == [2015, 2016]


def test_a_refusal_names_the_decision_date_and_the_date_that_decides_it() -> None:
    on = date(2017, 1, 10)
    exited = borrower(household_status=HouseholdStatus.EXITED, status_since=date(2016, 11, 8))
    assert rules.ineligibility(MICRO, exited, 5_000_000, 36, on) == [
        "poor_on_application_date: on 2017-01-10 the household is exited (since 2016-11-08)"
    ]
    later = borrower(household_status=None, status_since=None, identified_on=date(2017, 3, 1))
    assert rules.ineligibility(MICRO, later, 5_000_000, 36, on) == [
        "registered_household: on 2017-01-10 the household was not yet identified "
        "(identified from 2017-03-01)"
    ]


def test_the_farthest_dates_the_bounds_allow_stay_within_the_calendar() -> None:
    """Inputs stop at 2100-12-31 and 240 months (tuopin_contracts.bounds, the postings'
    term): the farthest maturity is 2120, nowhere near the year 10000 that overflowed."""
    assert add_months(LAST_DAY, 240) == date(2120, 12, 31)
    assert add_months(FIRST_DAY, 240) == date(1920, 1, 1)
    loan = approved(term=240, on=LAST_DAY)
    rate = rules.benchmark(programme().rates, 36, LAST_DAY)
    loan.sign(LAST_DAY, 5_000_000, 240, MICRO, rate)
    assert loan.contract is not None
    assert loan.contract.maturity_date == date(2120, 12, 31)
    assert loan.contract.subsidy_until < loan.contract.maturity_date
