"""A risk compensation fund never goes negative: claims wait, oldest first."""

from datetime import date
from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

import pytest

from tuopin_contracts.events import loans as lo
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit.store.aggregate import Conflict, NotFound
from tuopin_loans.domain.fund import RiskFund

WARN = Decimal("0.30")
DAY = date(2017, 6, 1)


def uid(name: str) -> str:
    """The id of the loan (or claim) a test calls ``name``."""
    return str(uuid5(NAMESPACE_URL, name))


def claim(loan: str, unrecovered: int, ratio: str = "0.70") -> lo.CompensationClaimLodgedV1:
    claimed = int(unrecovered * Decimal(ratio))
    return lo.CompensationClaimLodgedV1(
        fund_id="county-621121",
        claim_id=uid(f"claim-{loan}"),
        loan_id=uid(loan),
        bank_id="rcc",
        product=LoanProduct.MICROCREDIT,
        unrecovered=unrecovered,
        ratio=Decimal(ratio),
        claimed=claimed,
        lodged_on=DAY,
    )


def paid(fund: RiskFund) -> list[str]:
    return [str(e.loan_id) for e in fund.pending if isinstance(e, lo.CompensationPaidV1)]


def test_claims_wait_in_order_when_the_fund_is_short_and_are_paid_as_money_arrives() -> None:
    fund = RiskFund("county-621121")
    fund.contribute("finance", 100_000, DAY, WARN)
    fund.lodge(claim("a", 100_000), WARN)  # 70,000: paid at once
    assert paid(fund) == [uid("a")] and fund.balance == 30_000
    fund.lodge(claim("b", 50_000), WARN)  # 35,000 > 30,000: waits
    fund.lodge(claim("c", 10_000), WARN)  # 7,000 would fit, but b is older
    assert paid(fund) == [uid("a")] and fund.waiting == [uid("claim-b"), uid("claim-c")]
    assert fund.balance == 30_000
    warnings = [e for e in fund.pending if isinstance(e, lo.ReplenishmentNeededV1)]
    assert len(warnings) == 1 and warnings[0].claims_waiting == 35_000
    fund.contribute("bank:rcc", 20_000, DAY, WARN)  # 50,000: b (35,000) then c (7,000)
    assert (
        paid(fund) == [uid("a"), uid("b"), uid("c")]
        and fund.balance == 8_000
        and fund.waiting == []
    )
    replayed = RiskFund.replay(fund.id, fund.pending)
    assert replayed.balance == 8_000 and replayed.waiting == [] and replayed.version == fund.version


def test_recoveries_come_back_in_the_claims_share_and_never_more_than_was_paid() -> None:
    fund = RiskFund("county-621121")
    fund.contribute("finance", 1_000_000, DAY, WARN)
    fund.lodge(claim("a", 100_000), WARN)
    fund.return_recovery(uid("a"), 10_000, DAY, WARN)  # 70 % of 10,000
    fund.return_recovery(uid("a"), 1_000_000, DAY, WARN)  # capped at the 63,000 still unreturned
    back = [e.amount for e in fund.pending if isinstance(e, lo.RecoveryReturnedV1)]
    assert back == [7_000, 63_000] and fund.balance == 1_000_000
    with pytest.raises(NotFound):
        fund.return_recovery(uid("never-claimed"), 5_000, DAY, WARN)


def test_one_claim_per_loan() -> None:
    fund = RiskFund("county-621121")
    fund.lodge(claim("a", 1_000), WARN)
    with pytest.raises(Conflict):
        fund.lodge(claim("a", 1_000), WARN)


def test_falling_below_the_warning_line_asks_for_replenishment_once() -> None:
    fund = RiskFund("county-621121")
    fund.contribute("finance", 100_000, DAY, WARN)  # line: 30,000
    fund.lodge(claim("a", 80_000), WARN)  # pays 56,000 → 44,000 left: fine
    fund.lodge(claim("b", 30_000), WARN)  # pays 21,000 → 23,000 left: below the line
    fund.lodge(claim("c", 10_000), WARN)  # pays 7,000 → still below: no second warning
    warnings = [e for e in fund.pending if isinstance(e, lo.ReplenishmentNeededV1)]
    assert [(w.balance, w.threshold) for w in warnings] == [(23_000, 30_000)]
