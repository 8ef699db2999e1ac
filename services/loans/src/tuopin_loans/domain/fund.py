"""A risk compensation fund (风险补偿基金) of a county or of the province.

Finance and the banks pay in; a bank claims the fund's share of a defaulted loan's
unrecovered principal; money recovered afterwards comes back in the same share. The
balance never goes negative: a claim the fund cannot pay waits, and waiting claims are
paid oldest first as money arrives (no later claim jumps an earlier one). When the balance
falls below the warning line, or a claim waits, the fund asks to be replenished.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tuopin_contracts.events import loans as lo
from tuopin_eventkit.store.aggregate import Aggregate, Conflict, NotFound, RuleViolation


def county_fund(county_code: str) -> str:
    """A county's risk fund's id (the province's is ``province``)."""
    return f"county-{county_code}"


def fund_county(fund_id: str) -> str | None:
    """The county whose risk fund it is; None for the province's."""
    return fund_id.removeprefix("county-") if fund_id.startswith("county-") else None


def share(amount: int, ratio: Decimal) -> int:
    return int((amount * ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class Claim:
    lodged: lo.CompensationClaimLodgedV1
    paid: bool = False
    returned: int = 0


class RiskFund(Aggregate):
    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.balance = 0
        self.contributed = 0
        self.claims: dict[str, Claim] = {}
        self.by_loan: dict[str, str] = {}
        self.waiting: list[str] = []  # claim ids, oldest first

    @property
    def waiting_amount(self) -> int:
        return sum(self.claims[c].lodged.claimed for c in self.waiting)

    def low(self, warning_ratio: Decimal) -> bool:
        """Below the warning line (a share of all contributions), or a claim waits."""
        return self.balance < share(self.contributed, warning_ratio) or bool(self.waiting)

    # --- commands --------------------------------------------------------------------------

    def contribute(self, contributor: str, amount: int, on: date, warning_ratio: Decimal) -> None:
        if amount <= 0:
            raise RuleViolation("a contribution is a positive amount")
        contribution = lo.FundContributionReceivedV1(
            fund_id=self.id,
            contributor=contributor,
            amount=amount,
            received_on=on,
            balance=self.balance + amount,
        )
        self._move(contribution, on, warning_ratio)

    def lodge(self, claim: lo.CompensationClaimLodgedV1, warning_ratio: Decimal) -> None:
        earlier = self.by_loan.get(str(claim.loan_id))
        if earlier is not None:
            raise Conflict(f"loan {claim.loan_id} already has a claim", claim_id=earlier)
        if claim.unrecovered <= 0:
            raise RuleViolation("nothing is unrecovered on this loan: there is nothing to claim")
        self._move(claim, claim.lodged_on, warning_ratio)

    def return_recovery(
        self, loan_id: str, recovered: int, on: date, warning_ratio: Decimal
    ) -> None:
        """The fund's share of money recovered on a loan it compensated, never more than
        it paid out on the claim."""
        claim_id = self.by_loan.get(loan_id)
        if claim_id is None or not self.claims[claim_id].paid:
            raise NotFound(f"no compensation was paid on loan {loan_id}")
        claim = self.claims[claim_id]
        amount = min(share(recovered, claim.lodged.ratio), claim.lodged.claimed - claim.returned)
        if amount <= 0:
            return
        returned = lo.RecoveryReturnedV1(
            fund_id=self.id,
            claim_id=claim_id,
            loan_id=loan_id,
            recovered=recovered,
            amount=amount,
            returned_on=on,
            balance=self.balance + amount,
        )
        self._move(returned, on, warning_ratio)

    def compensated(self, loan_id: str) -> bool:
        claim_id = self.by_loan.get(loan_id)
        return claim_id is not None and self.claims[claim_id].paid

    def _move(self, event: Any, on: date, warning_ratio: Decimal) -> None:
        """Money moves (the event), then the fund settles what it can."""
        was_low = self.low(warning_ratio)
        self.record(event)
        self._settle(on, warning_ratio, was_low)

    def _settle(self, on: date, warning_ratio: Decimal, was_low: bool) -> None:
        """Pay waiting claims oldest first while the money lasts; warn on becoming low."""
        while self.waiting:
            claim = self.claims[self.waiting[0]].lodged
            if claim.claimed > self.balance:
                break
            self.record(
                lo.CompensationPaidV1(
                    fund_id=self.id,
                    claim_id=claim.claim_id,
                    loan_id=claim.loan_id,
                    bank_id=claim.bank_id,
                    amount=claim.claimed,
                    paid_on=on,
                    balance=self.balance - claim.claimed,
                )
            )
        if self.low(warning_ratio) and not was_low:
            self.record(
                lo.ReplenishmentNeededV1(
                    fund_id=self.id,
                    balance=self.balance,
                    threshold=share(self.contributed, warning_ratio),
                    claims_waiting=self.waiting_amount,
                    as_of=on,
                )
            )

    # --- state -----------------------------------------------------------------------------

    def apply(self, event: Any) -> None:
        match event:
            case lo.FundContributionReceivedV1():
                self.balance, self.contributed = event.balance, self.contributed + event.amount
            case lo.CompensationClaimLodgedV1():
                claim_id = str(event.claim_id)
                self.claims[claim_id] = Claim(event)
                self.by_loan[str(event.loan_id)] = claim_id
                self.waiting.append(claim_id)
            case lo.CompensationPaidV1():
                self.balance = event.balance
                self.claims[str(event.claim_id)].paid = True
                self.waiting.remove(str(event.claim_id))
            case lo.RecoveryReturnedV1():
                self.balance = event.balance
                self.claims[str(event.claim_id)].returned += event.amount
            case lo.ReplenishmentNeededV1():
                pass
            case _:
                raise TypeError(f"RiskFund cannot apply {type(event).__name__}")
