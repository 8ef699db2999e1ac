"""Commands on loans and funds, as banks and offices post them; each runs in the caller's
transaction (with its idempotency record) and writes all of its events or none."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import loans as lo
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.aggregate import NotFound, RuleViolation
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_loans.application import borrower_households as registry
from tuopin_loans.application import exposure
from tuopin_loans.application.reference import programme
from tuopin_loans.application.repositories import funds, loans
from tuopin_loans.domain import rules
from tuopin_loans.domain.fund import RiskFund, county_fund, share
from tuopin_loans.domain.loan import Loan, LoanState

LOANS = uuid5(NAMESPACE_URL, "https://tuopin.gov.cn/loans")


def loan_id(bank_id: str, loan_ref: str) -> str:
    """A loan's id, from its bank and the bank's own loan number: two banks may use the same
    number, and no bank can reach another's loan by naming it."""
    return str(uuid5(LOANS, f"{bank_id}/{loan_ref}"))


def view(loan: Loan) -> dict[str, Any]:
    facts = loan.facts
    assert facts is not None
    contract = loan.contract
    return {
        "loan_ref": loan.approved.loan_ref if loan.approved else None,
        "loan_id": loan.id,
        "bank_id": facts.bank_id,
        "household_id": facts.household_id,
        "county_code": facts.county_code,
        "product": facts.product,
        "state": loan.state,
        "contract_amount": contract.amount if contract else None,
        "annual_rate": str(contract.annual_rate) if contract else None,
        "maturity_date": contract.maturity_date if contract else None,
        "subsidy_until": contract.subsidy_until if contract else None,
        "disbursed": loan.disbursed,
        "outstanding": loan.outstanding,
        "days_past_due": loan.days_past_due,
        "version": loan.version,
    }


@dataclass(frozen=True)
class Application:
    """An application the bank approved or rejected (贷款申请)."""

    bank_id: str
    loan_ref: str
    product: LoanProduct
    household_id: str
    borrower_id_number: str
    amount: int
    term_months: int
    decided_on: date
    academic_year: int | None = None  # student loans: the school year it pays for


async def approve(
    conn: AsyncConnection, store: EventStore, keys: IdentityKeys, application: Application
) -> Outcome:
    a = application
    # The limits span loans (a household's outstanding, a student's year, a county's
    # quota), kept by the loan book in the appending transaction: take the append lock
    # before reading them, so two approvals at once are decided one after the other.
    await store.lock_appends(conn)
    the_id = await _new_loan_id(conn, store, a.bank_id, a.loan_ref)
    borrower = keys.resident(a.borrower_id_number)
    home = await registry.household(conn, a.household_id)
    rule = rules.product_rule(programme().products, a.product, a.decided_on)
    member = await registry.member(conn, a.household_id, borrower.hash, a.decided_on)
    standing = await registry.standing(conn, a.household_id, a.decided_on)
    outstanding = student_year = 0
    if rule.student and a.academic_year is not None:
        student_year = await exposure.student_year_approved(conn, borrower.hash, a.academic_year)
    elif not rule.student:
        outstanding = await exposure.household_outstanding(conn, a.household_id, a.product)
    facts = rules.Borrower(
        household_status=standing.status,
        status_since=standing.since,
        identified_on=standing.identified_on,
        relocating=await registry.relocating_on(conn, a.household_id, a.decided_on),
        birth_date=member[0] if member else None,
        schooling=member[1] if member else None,
        outstanding=outstanding,
        student_year=student_year,
    )
    failed = rules.ineligibility(
        rule, facts, a.amount, a.term_months, a.decided_on, a.academic_year
    )
    if home is not None and a.product == LoanProduct.MICROCREDIT:
        failed += await _within_quota(conn, str(home["county_code"]), a.amount)
    if failed:
        raise RuleViolation(
            f"the application fails {len(failed)} rule(s): " + "; ".join(failed),
            **rules.named(failed),
            decided_on=a.decided_on.isoformat(),
        )
    assert home is not None
    loan = Loan.approve(
        lo.LoanApprovedV1(
            loan_id=the_id,
            bank_id=a.bank_id,
            household_id=a.household_id,
            county_code=str(home["county_code"]),
            product=a.product,
            loan_ref=a.loan_ref,
            borrower_hash=borrower.hash,
            borrower_masked=borrower.masked,
            amount=a.amount,
            term_months=a.term_months,
            decided_on=a.decided_on,
            academic_year=a.academic_year,
        )
    )
    await loans(store).save(conn, loan)
    return Outcome(view(loan), created=True)


async def reject(
    conn: AsyncConnection,
    store: EventStore,
    bank_id: str,
    loan_ref: str,
    product: LoanProduct,
    household_id: str,
    reason: str,
    decided_on: date,
) -> Outcome:
    the_id = await _new_loan_id(conn, store, bank_id, loan_ref)
    home = await registry.household(conn, household_id)
    if home is None:
        raise NotFound(f"household {household_id} is not in the register")
    loan = Loan.reject(
        lo.LoanRejectedV1(
            loan_id=the_id,
            bank_id=bank_id,
            household_id=household_id,
            county_code=str(home["county_code"]),
            product=product,
            loan_ref=loan_ref,
            reason=reason,
            decided_on=decided_on,
        )
    )
    await loans(store).save(conn, loan)
    return Outcome(view(loan), created=True)


async def _new_loan_id(conn: AsyncConnection, store: EventStore, bank: str, ref: str) -> str:
    the_id = loan_id(bank, ref)
    if await loans(store).get(conn, the_id) is not None:
        raise RuleViolation(f"bank {bank} already decided on loan {ref}")
    return the_id


async def _within_quota(conn: AsyncConnection, county_code: str, amount: int) -> list[str]:
    quota = await exposure.quota(conn, county_code)
    if quota is None:
        return [f"county_quota: no microcredit quota is allocated to county {county_code}"]
    failed = []
    used = await exposure.committed(conn, county_code)
    if used + amount > quota:
        failed.append(
            f"county_quota: {rules.yuan(used + amount)} yuan would exceed county {county_code}'s "
            f"quota of {rules.yuan(quota)}"
        )
    ceiling = programme().microcredit_ceiling
    if await exposure.committed(conn) + amount > ceiling:
        failed.append(f"programme_ceiling: the province's {rules.yuan(ceiling)} yuan is committed")
    return failed


def missing_loan(bank_id: str, loan_ref: str) -> str:
    return f"bank {bank_id} has no loan {loan_ref}"


async def bank_loan(conn: AsyncConnection, store: EventStore, bank_id: str, loan_ref: str) -> Loan:
    """A bank's loan, by the bank's own reference; NotFound if it has none."""
    missing = missing_loan(bank_id, loan_ref)
    return await loans(store).existing(conn, loan_id(bank_id, loan_ref), missing=missing)


async def change(
    conn: AsyncConnection,
    store: EventStore,
    bank_id: str,
    loan_ref: str,
    decide: Callable[[Loan], None],
) -> Outcome:
    """Load the bank's loan, let it decide, save what it recorded."""
    loan, _ = await loans(store).change(
        conn, loan_id(bank_id, loan_ref), decide, missing=missing_loan(bank_id, loan_ref)
    )
    return Outcome(view(loan))


def sign(signed_on: date, amount: int, term_months: int) -> Callable[[Loan], None]:
    def decide(loan: Loan) -> None:
        assert loan.facts is not None
        p = programme()
        rule = rules.product_rule(p.products, loan.facts.product, signed_on)
        rate = rules.benchmark(p.rates, term_months, signed_on)
        loan.sign(signed_on, amount, term_months, rule, rate)

    return decide


async def repay(
    conn: AsyncConnection,
    store: EventStore,
    bank_id: str,
    loan_ref: str,
    principal: int,
    interest: int,
    on: date,
) -> Outcome:
    """A repayment; after a compensated default, the fund gets its share back at once."""
    recovering: list[Loan] = []

    def decide(loan: Loan) -> None:
        if loan.state in (LoanState.DEFAULTED, LoanState.WRITTEN_OFF):
            recovering.append(loan)
        loan.repay(principal, interest, on)

    outcome = await change(conn, store, bank_id, loan_ref, decide)
    if recovering and principal:
        facts = recovering[0].facts
        assert facts is not None
        fund = await funds(store).get(conn, county_fund(facts.county_code))
        if fund is not None and fund.compensated(str(facts.loan_id)):
            fund.return_recovery(str(facts.loan_id), principal, on, programme().fund_warning_ratio)
            await funds(store).save(conn, fund)
    return outcome


async def claim(
    conn: AsyncConnection, store: EventStore, bank_id: str, loan_ref: str, lodged_on: date
) -> Outcome:
    """The bank claims compensation on a defaulted loan from its county's fund."""
    loan = await bank_loan(conn, store, bank_id, loan_ref)
    if loan.state not in (LoanState.DEFAULTED, LoanState.WRITTEN_OFF):
        raise RuleViolation(f"only a defaulted loan can be claimed; this one is {loan.state}")
    facts = loan.facts
    assert facts is not None
    p = programme()
    rule = rules.product_rule(p.products, facts.product, lodged_on)
    ratio = rule.compensation_ratio(facts.county_code)
    if ratio == 0:
        raise RuleViolation(f"{facts.product} loans in {facts.county_code} are not compensated")
    fund_id = county_fund(facts.county_code)
    fund = await funds(store).get(conn, fund_id) or RiskFund(fund_id)
    fund.lodge(
        lo.CompensationClaimLodgedV1(
            fund_id=fund_id,
            claim_id=str(uuid4()),
            loan_id=loan.id,
            bank_id=bank_id,
            product=facts.product,
            unrecovered=loan.outstanding,
            ratio=ratio,
            claimed=share(loan.outstanding, ratio),
            lodged_on=lodged_on,
        ),
        p.fund_warning_ratio,
    )
    await funds(store).save(conn, fund)
    return Outcome(fund_view(fund), created=True)


async def contribute(
    conn: AsyncConnection,
    store: EventStore,
    fund_id: str,
    contributor: str,
    amount: int,
    on: date,
) -> Outcome:
    fund = await funds(store).get(conn, fund_id) or RiskFund(fund_id)
    fund.contribute(contributor, amount, on, programme().fund_warning_ratio)
    await funds(store).save(conn, fund)
    return Outcome(fund_view(fund), created=True)


def fund_view(fund: RiskFund) -> dict[str, Any]:
    return {
        "fund_id": fund.id,
        "balance": fund.balance,
        "contributed": fund.contributed,
        "claims_waiting": [
            {
                "claim_id": c,
                "loan_id": fund.claims[c].lodged.loan_id,
                "claimed": fund.claims[c].lodged.claimed,
            }
            for c in fund.waiting
        ],
        "claims_paid": sum(1 for c in fund.claims.values() if c.paid),
        "version": fund.version,
    }
