"""A village mutual-aid fund (村级互助资金): the village's own revolving fund that lends
small sums to member households.

Money comes in from finance (省市县扶贫资金补助), the village collective, member households'
share capital (入股) and donations (社会帮扶); it goes out as loans to households of that
village and comes back as principal plus an occupancy fee (占用费), which stays in the fund
so the fund grows as it revolves. The fund's size (资金规模: all contributions plus fee
income) is what the province's target counts — at least 500,000 yuan per poor village —
while its balance (cash not lent out) is what it can lend: a loan never exceeds it.

The fund keeps one cash book in date order: no posting is dated before the last one, so
the balance a loan is checked against is the balance on the loan's own day.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tuopin_contracts.events import loans as lo
from tuopin_eventkit.store.aggregate import Aggregate, NotFound, RuleViolation
from tuopin_loans.domain.fund import share
from tuopin_loans.domain.loan import add_months
from tuopin_loans.domain.rules import NoRulesInForce, named, yuan

PREFIX = "mutual-aid-"


def fund_id(village_code: str) -> str:
    return PREFIX + village_code


class Source(StrEnum):
    """Where a contribution comes from (资金来源)."""

    FINANCE = "finance"  # 财政扶贫资金: province, city and county poverty funds
    COLLECTIVE = "collective"  # 村集体
    MEMBER_SHARES = "member_shares"  # 农户入股
    DONATION = "donation"  # 社会捐赠, 社会帮扶


@dataclass(frozen=True)
class MutualAidRule:
    """The province's settings for mutual-aid funds from a date on (``reference/``)."""

    effective_from: date
    target: int  # fen: the least a poor village's fund should hold (资金规模)
    max_loan: int  # fen: what one household may owe the fund at once
    max_term_months: int
    fee_rate: Decimal  # occupancy fee (占用费) per year on principal held
    source: str = ""


def rule_on(rules: Sequence[MutualAidRule], on: date) -> MutualAidRule:
    in_force = [r for r in rules if r.effective_from <= on]
    if not in_force:
        raise NoRulesInForce(f"no mutual-aid rules in force on {on}", on=on.isoformat())
    return max(in_force, key=lambda r: r.effective_from)


@dataclass
class MemberLoan:
    granted: lo.MutualAidLoanGrantedV1
    outstanding: int


class MutualAidFund(Aggregate):
    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.village_code = aggregate_id.removeprefix(PREFIX)
        self.balance = 0
        self.contributed: dict[Source, int] = {}
        self.fees = 0
        self.loans: dict[str, MemberLoan] = {}
        self.opened_on: date | None = None  # the first posting's day
        self.last_posted: date | None = None

    @property
    def capital(self) -> int:
        """资金规模: everything paid in plus the fees earned (lent money is still the fund's)."""
        return sum(self.contributed.values()) + self.fees

    @property
    def outstanding(self) -> int:
        return sum(loan.outstanding for loan in self.loans.values())

    @property
    def lent(self) -> int:
        return sum(loan.granted.amount for loan in self.loans.values())

    def overdue(self, on: date) -> list[MemberLoan]:
        """Loans past their due date on ``on`` with principal still owed."""
        return [m for m in self.loans.values() if m.outstanding > 0 and m.granted.due_on < on]

    def owed_by(self, household_id: str) -> int:
        return sum(
            loan.outstanding
            for loan in self.loans.values()
            if str(loan.granted.household_id) == household_id
        )

    # --- commands --------------------------------------------------------------------------

    def contribute(self, source: Source, amount: int, on: date) -> None:
        if amount <= 0:
            raise RuleViolation("a contribution is a positive amount")
        self._not_before(on, "a contribution")
        self.record(
            lo.MutualAidContributionReceivedV1(
                **self._fact(),
                source=source,
                amount=amount,
                received_on=on,
                balance=self.balance + amount,
            )
        )

    def lend(
        self,
        loan_id: str,
        household_id: str,
        household_village: str | None,
        amount: int,
        term_months: int,
        on: date,
        rule: MutualAidRule,
    ) -> None:
        """Lend to a member household; ``household_village`` is where the register files it
        (None: not filed). Every rule the loan fails is named."""
        if loan_id in self.loans:
            raise RuleViolation(f"loan {loan_id} was already granted")
        if amount <= 0 or term_months <= 0:
            raise RuleViolation("a loan is a positive amount for a positive term")
        self._not_before(on, "a loan")
        failed = []
        if household_village != self.village_code:
            failed.append(
                f"member_household: household {household_id} is not a registered household of "
                f"village {self.village_code}"
            )
        if term_months > rule.max_term_months:
            failed.append(f"term_limit: {term_months} months exceeds {rule.max_term_months}")
        left = rule.max_loan - self.owed_by(household_id)
        if amount > left:
            failed.append(
                f"amount_limit: {yuan(amount)} yuan exceeds the {yuan(max(left, 0))} yuan left "
                f"of {yuan(rule.max_loan)} per household"
            )
        if amount > self.balance:
            failed.append(
                f"fund_balance: {yuan(amount)} yuan exceeds the fund's balance of "
                f"{yuan(self.balance)}"
            )
        if failed:
            raise RuleViolation(
                f"the loan fails {len(failed)} rule(s): " + "; ".join(failed),
                **named(failed),
            )
        self.record(
            lo.MutualAidLoanGrantedV1(
                **self._fact(),
                loan_id=loan_id,
                household_id=household_id,
                amount=amount,
                term_months=term_months,
                fee_rate=rule.fee_rate,
                lent_on=on,
                due_on=add_months(on, term_months),
                balance=self.balance - amount,
            )
        )

    def repay(self, loan_id: str, principal: int, on: date) -> None:
        """Principal comes back with its occupancy fee: the loan's rate on that principal for
        the days it was held (counting the lending day, not the repaying day — 算头不算尾),
        so each part repaid pays for its own days and no fee is charged twice."""
        loan = self.loans.get(loan_id)
        if loan is None:
            raise NotFound(f"village {self.village_code}'s fund has no loan {loan_id}")
        if principal <= 0:
            raise RuleViolation("a repayment returns some principal")
        if principal > loan.outstanding:
            raise RuleViolation(
                f"repaying {yuan(principal)} yuan exceeds the {yuan(loan.outstanding)} yuan "
                f"the household owes on this loan"
            )
        granted = loan.granted
        if on < granted.lent_on:
            raise RuleViolation(
                f"a repayment dated {on} is earlier than the loan ({granted.lent_on})"
            )
        self._not_before(on, "a repayment")
        days = (on - granted.lent_on).days
        fee = share(principal, granted.fee_rate * days / 365)
        self.record(
            lo.MutualAidRepaymentReceivedV1(
                **self._fact(),
                loan_id=loan_id,
                household_id=granted.household_id,
                principal=principal,
                fee=fee,
                received_on=on,
                outstanding=loan.outstanding - principal,
                balance=self.balance + principal + fee,
            )
        )

    # --- state -----------------------------------------------------------------------------

    def apply(self, event: Any) -> None:
        match event:
            case lo.MutualAidContributionReceivedV1():
                self.opened_on = self.opened_on or event.received_on  # money comes in first
                source = Source(event.source)
                self.contributed[source] = self.contributed.get(source, 0) + event.amount
                self.balance, self.last_posted = event.balance, event.received_on
            case lo.MutualAidLoanGrantedV1():
                self.loans[str(event.loan_id)] = MemberLoan(event, event.amount)
                self.balance, self.last_posted = event.balance, event.lent_on
            case lo.MutualAidRepaymentReceivedV1():
                loan = self.loans[str(event.loan_id)]
                loan.outstanding = event.outstanding
                self.fees += event.fee
                self.balance, self.last_posted = event.balance, event.received_on
            case _:
                raise TypeError(f"MutualAidFund cannot apply {type(event).__name__}")

    def _fact(self) -> dict[str, Any]:
        return {"fund_id": self.id, "village_code": self.village_code}

    def _not_before(self, day: date, what: str) -> None:
        if self.last_posted is not None and day < self.last_posted:
            raise RuleViolation(
                f"{what} dated {day} is earlier than the fund's last posting "
                f"({self.last_posted}): the cash book runs in date order"
            )
