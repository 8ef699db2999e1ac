"""A loan (贷款) through its life as its bank posts it: approved or rejected, contract
signed, disbursed, repaid, overdue, defaulted, written off, recovered.

Postings arrive from banks and may arrive wrong: each is checked against what the loan is
now — the state, the amounts (never more repaid than outstanding, never more disbursed
than signed) and the calendar (never dated before the posting it follows) — and refused
whole when it does not fit.
"""

import calendar
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from tuopin_contracts.events import loans as lo
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition, RuleViolation
from tuopin_loans.domain.rules import BenchmarkRate, ProductRule, yuan


class LoanState(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"
    ACTIVE = "active"  # disbursed, principal outstanding
    REPAID = "repaid"  # 结清
    DEFAULTED = "defaulted"  # 违约
    WRITTEN_OFF = "written_off"  # 核销


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day (Jan 31 + 1 → Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Loan(Aggregate):
    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.state: LoanState | None = None
        self.facts: lo.LoanFact | None = None
        self.approved: lo.LoanApprovedV1 | None = None
        self.contract: lo.ContractSignedV1 | None = None
        self.disbursed = 0
        self.outstanding = 0
        self.days_past_due = 0
        self.last_posted: date | None = None

    # --- decisions -------------------------------------------------------------------------

    @classmethod
    def approve(cls, approval: lo.LoanApprovedV1) -> "Loan":
        loan = cls(str(approval.loan_id))
        loan.record(approval)
        return loan

    @classmethod
    def reject(cls, rejection: lo.LoanRejectedV1) -> "Loan":
        loan = cls(str(rejection.loan_id))
        loan.record(rejection)
        return loan

    def sign(
        self, signed_on: date, amount: int, term_months: int, rule: ProductRule, rate: BenchmarkRate
    ) -> None:
        self._expect("sign the contract", LoanState.APPROVED)
        approved = self.approved
        assert approved is not None
        self._not_before(signed_on, "the contract")
        if amount > approved.amount or term_months > approved.term_months:
            raise RuleViolation(
                f"the contract ({yuan(amount)} yuan, {term_months} months) exceeds the approval "
                f"({yuan(approved.amount)} yuan, {approved.term_months} months)"
            )
        maturity = add_months(signed_on, term_months)
        subsidy_end = maturity
        if rule.subsidy_months is not None:
            subsidy_end = min(maturity, add_months(signed_on, rule.subsidy_months))
        self.record(
            lo.ContractSignedV1(
                **self._fact(),
                amount=amount,
                term_months=term_months,
                annual_rate=rate.annual_rate,
                rate_effective_date=rate.effective_from,
                signed_on=signed_on,
                maturity_date=maturity,
                # Interest counts the first day and not the last (算头不算尾).
                subsidy_until=subsidy_end - timedelta(days=1),
            )
        )

    def disburse(self, amount: int, on: date) -> None:
        self._expect("disburse", LoanState.SIGNED, LoanState.ACTIVE)
        contract = self.contract
        assert contract is not None
        self._not_before(on, "a disbursement")
        if on > contract.maturity_date:
            raise RuleViolation(
                f"a disbursement on {on} is after maturity {contract.maturity_date}"
            )
        if self.disbursed + amount > contract.amount:
            raise RuleViolation(
                f"disbursing {yuan(amount)} yuan would exceed the contract's "
                f"{yuan(contract.amount)}"
                f" ({yuan(self.disbursed)} already disbursed)"
            )
        self.record(
            lo.LoanDisbursedV1(
                **self._fact(),
                amount=amount,
                disbursed_on=on,
                outstanding=self.outstanding + amount,
            )
        )

    def repay(self, principal: int, interest: int, on: date) -> None:
        """A repayment; on a defaulted or written-off loan, a recovery (追偿)."""
        if self.state in (LoanState.APPROVED, LoanState.SIGNED):
            raise InvalidTransition(
                "loan", str(self.state), "receive a repayment before disbursement"
            )
        self._expect(
            "receive a repayment", LoanState.ACTIVE, LoanState.DEFAULTED, LoanState.WRITTEN_OFF
        )
        self._not_before(on, "a repayment")
        if principal + interest == 0:
            raise RuleViolation("a repayment moves some principal or interest")
        if principal > self.outstanding:
            raise RuleViolation(
                f"repaying {yuan(principal)} yuan of principal exceeds the "
                f"{yuan(self.outstanding)} yuan outstanding"
            )
        self.record(
            lo.RepaymentReceivedV1(
                **self._fact(),
                principal=principal,
                interest=interest,
                received_on=on,
                outstanding=self.outstanding - principal,
            )
        )

    def report_overdue(self, days_past_due: int, as_of: date) -> None:
        """Days past due as of a day; 0 says the loan is current again."""
        self._expect("report it overdue", LoanState.ACTIVE)
        self._not_before(as_of, "an overdue report")
        self.record(lo.LoanOverdueV1(**self._fact(), days_past_due=days_past_due, as_of=as_of))

    def default(self, on: date) -> None:
        self._expect("declare a default", LoanState.ACTIVE)
        self._not_before(on, "a default")
        self.record(
            lo.LoanDefaultedV1(**self._fact(), defaulted_on=on, outstanding=self.outstanding)
        )

    def write_off(self, on: date) -> None:
        self._expect("write it off", LoanState.DEFAULTED)
        self._not_before(on, "a write-off")
        self.record(lo.LoanWrittenOffV1(**self._fact(), written_off_on=on, amount=self.outstanding))

    def subsidise_premium(self, insurance: str, premium: int, subsidy: int, on: date) -> None:
        self._expect("subsidise a premium", LoanState.SIGNED, LoanState.ACTIVE, LoanState.REPAID)
        if subsidy > premium:
            raise RuleViolation("a premium subsidy cannot exceed the premium")
        self.record(
            lo.PremiumSubsidisedV1(
                **self._fact(), insurance=insurance, premium=premium, subsidy=subsidy, paid_on=on
            )
        )

    # --- state -----------------------------------------------------------------------------

    def apply(self, event: Any) -> None:
        match event:
            case lo.LoanApprovedV1():
                self.state, self.approved = LoanState.APPROVED, event
                self.facts = event
                self.last_posted = event.decided_on
            case lo.LoanRejectedV1():
                self.state, self.last_posted = LoanState.REJECTED, event.decided_on
                self.facts = event
            case lo.ContractSignedV1():
                self.state, self.contract = LoanState.SIGNED, event
                self.last_posted = event.signed_on
            case lo.LoanDisbursedV1():
                self.state, self.last_posted = LoanState.ACTIVE, event.disbursed_on
                self.disbursed += event.amount
                self.outstanding = event.outstanding
            case lo.RepaymentReceivedV1():
                self.outstanding, self.last_posted = event.outstanding, event.received_on
                if self.state == LoanState.ACTIVE and self.outstanding == 0:
                    self.state, self.days_past_due = LoanState.REPAID, 0
            case lo.LoanOverdueV1():
                self.days_past_due, self.last_posted = event.days_past_due, event.as_of
            case lo.LoanDefaultedV1():
                self.state, self.last_posted = LoanState.DEFAULTED, event.defaulted_on
            case lo.LoanWrittenOffV1():
                self.state, self.last_posted = LoanState.WRITTEN_OFF, event.written_off_on
            case lo.PremiumSubsidisedV1():
                pass
            case _:
                raise TypeError(f"Loan cannot apply {type(event).__name__}")

    def _fact(self) -> dict[str, Any]:
        assert self.facts is not None
        return {k: getattr(self.facts, k) for k in lo.LoanFact.model_fields}

    def _expect(self, command: str, *states: LoanState) -> None:
        if self.state not in states:
            raise InvalidTransition("loan", str(self.state), command)

    def _not_before(self, day: date, what: str) -> None:
        if self.last_posted is not None and day < self.last_posted:
            raise RuleViolation(
                f"{what} dated {day} is earlier than the loan's last posting ({self.last_posted})"
            )
