"""Product rules and benchmark rates as effective-dated data (the values live in
``reference/``), and the eligibility test of an application against them.

The province changes limits and the PBoC changes its benchmark rates; a loan signed in 2016
uses the row in force in 2016, so a replay of 2016 reproduces 2016's figures.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from tuopin_contracts.dates import age_on, decided_for, school_year
from tuopin_contracts.vocabulary import HouseholdStatus, LoanProduct, Schooling
from tuopin_eventkit.store.aggregate import RuleViolation


def yuan(fen: int) -> str:
    """12345 fen → "123.45" (money stays integer even when shown)."""
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass(frozen=True)
class ProductRule:
    """One product's rules from a date on."""

    product: LoanProduct
    effective_from: date
    max_amount: int  # fen: outstanding per household (student loans: per student-year)
    max_term_months: int
    subsidy_months: int | None  # how long the province pays the interest; None: the whole term
    borrower_min_age: int
    borrower_max_age: int | None
    requires_relocating: bool = False  # 易地搬迁: only households the registry marks so
    student: bool = False  # 生源地助学贷款: the borrower is a student (or for one), per year
    # The fund's share of unrecovered principal by region-code prefix, longest prefix first.
    compensation_ratios: tuple[tuple[str, Decimal], ...] = ()
    source: str = ""

    def compensation_ratio(self, county_code: str) -> Decimal:
        for prefix, ratio in sorted(self.compensation_ratios, key=lambda r: -len(r[0])):
            if county_code.startswith(prefix):
                return ratio
        return Decimal("0")


@dataclass(frozen=True)
class BenchmarkRate:
    """A row of the PBoC's loan benchmark table: from a date, for terms up to a length."""

    effective_from: date
    max_term_months: int
    annual_rate: Decimal


Row = TypeVar("Row", ProductRule, BenchmarkRate)


class NoRulesInForce(RuleViolation, LookupError):
    """A day before the first rules of a kind took effect: the caller asked about a day
    the programme does not cover (HTTP 422), not a fault of the service."""


def in_force(rows: Sequence[Row], on: date) -> list[Row]:
    latest = max((r.effective_from for r in rows if r.effective_from <= on), default=None)
    return [r for r in rows if r.effective_from == latest]


def product_rule(rules: Sequence[ProductRule], product: LoanProduct, on: date) -> ProductRule:
    found = in_force([r for r in rules if r.product == product], on)
    if not found:
        raise NoRulesInForce(f"no {product} rules in force on {on}", on=on.isoformat())
    return found[0]


def benchmark(rates: Sequence[BenchmarkRate], term_months: int, on: date) -> BenchmarkRate:
    """The benchmark for a loan of this term signed on this day."""
    rows = sorted(in_force(rates, on), key=lambda r: r.max_term_months)
    for row in rows:
        if term_months <= row.max_term_months:
            return row
    raise NoRulesInForce(f"no benchmark rate for {term_months} months on {on}", on=on.isoformat())


@dataclass(frozen=True)
class Borrower:
    """The facts eligibility needs, as they stood on the decision date, from loans' read
    model of the registry's events."""

    household_status: HouseholdStatus | None  # None: not filed, or not yet on that day
    status_since: date | None  # when that status took effect
    identified_on: date | None  # the household's first filing date; None: never filed
    relocating: bool
    birth_date: date | None  # None: not a member of the household on that day
    schooling: Schooling | None
    outstanding: int  # fen the household already owes on this product (committed, unpaid)
    # Student loans: fen already approved to this student (any bank) in the academic year.
    student_year: int = 0


# Still registered poor: until the exit is verified the household keeps its support.
POOR = set(HouseholdStatus) - {HouseholdStatus.EXITED, HouseholdStatus.REMOVED}
# Seed 9(1): 生源地信用助学贷款 for 本科 and 高职(专科) students only, which the registry files
# as tertiary; postgraduates (研究生), senior-secondary and secondary-vocational pupils are
# not covered (the 中职 pupils' aid is their grant, not a loan).
LOAN_LEVELS = {Schooling.TERTIARY}


def named(failed: list[str]) -> dict[str, list[Any]]:
    """What a refusal lists of the failed rules ("rule: why"): their names (``rules``), and
    each with its reason (``failures``, said in the caller's language like the detail)."""
    names = [f.split(":")[0] for f in failed]
    return {
        "rules": names,
        "failures": [{"rule": n, "message": f} for n, f in zip(names, failed, strict=True)],
    }


def ineligibility(
    rule: ProductRule,
    borrower: Borrower,
    amount: int,
    term_months: int,
    on: date,
    academic_year: int | None = None,
) -> list[str]:
    """Every rule the application decided ``on`` fails, named, with the dates that decide
    it (empty when eligible). ``academic_year``: the school year a student loan pays for
    (seed 9(1) caps student loans at 8,000 yuan 每生每学年)."""
    failed = []
    if borrower.identified_on is None:
        failed.append("registered_household: not a registered poor household (未建档立卡)")
    elif borrower.household_status is None:
        failed.append(
            f"registered_household: on {on} the household was not yet identified "
            f"(identified from {borrower.identified_on})"
        )
    elif borrower.household_status not in POOR:
        failed.append(
            f"poor_on_application_date: on {on} the household is {borrower.household_status} "
            f"(since {borrower.status_since})"
        )
    if rule.requires_relocating and not borrower.relocating:
        failed.append(
            f"relocating_household: on {on} the registry does not mark it as relocating (易地搬迁)"
        )
    if borrower.birth_date is None:
        failed.append(f"borrower_member: on {on} the borrower is not a member of the household")
    elif rule.student:
        if borrower.schooling not in LOAN_LEVELS:
            failed.append(
                f"student_level: the borrower's schooling is {borrower.schooling or 'unknown'}, "
                "not undergraduate or higher-vocational (本科, 高职专科)"
            )
    else:
        age = age_on(borrower.birth_date, on)
        if age < rule.borrower_min_age or (rule.borrower_max_age and age > rule.borrower_max_age):
            span = f"{rule.borrower_min_age}–{rule.borrower_max_age or ''}"
            failed.append(f"borrower_age: {age} is outside {span}")
    if term_months > rule.max_term_months:
        failed.append(f"term_limit: {term_months} months exceeds {rule.max_term_months}")
    if rule.student:
        failed += _student_year(rule, borrower.student_year, amount, on, academic_year)
    elif academic_year is not None:
        failed.append("academic_year: only a student loan pays for a school year (学年)")
    elif amount > (left := rule.max_amount - borrower.outstanding):
        failed.append(
            f"amount_limit: {yuan(amount)} yuan exceeds the {yuan(max(left, 0))} yuan left "
            f"of {yuan(rule.max_amount)}"
        )
    return failed


def _student_year(
    rule: ProductRule, approved: int, amount: int, on: date, year: int | None
) -> list[str]:
    """A student loan names the school year it pays for, decided in that year's first or
    second calendar year, within the 8,000 yuan left of it (``approved``: already
    approved to this student for it, by any bank)."""
    if year is None:
        return [
            "academic_year: a student loan names the school year it pays for (学年), by the "
            "year it starts (2016 = 2016–17)"
        ]
    first, last = school_year(year)
    if not decided_for(on, year):
        return [f"academic_year: a decision of {on} is not for the school year {first} – {last}"]
    if amount > (left := rule.max_amount - approved):
        return [
            f"student_year_limit: {yuan(amount)} yuan exceeds the {yuan(max(left, 0))} yuan "
            f"left of {yuan(rule.max_amount)} for this student in the academic year "
            f"{first} – {last}"
        ]
    return []
