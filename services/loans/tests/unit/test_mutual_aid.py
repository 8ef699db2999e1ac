"""A village mutual-aid fund (村级互助资金) lends only to its own households, within the
household cap, the term and its balance; repayments bring the occupancy fee back."""

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from tuopin_contracts.dates import LAST_DAY
from tuopin_contracts.events import loans as lo
from tuopin_eventkit.store.aggregate import NotFound, RuleViolation
from tuopin_loans.domain.mutual_aid import (
    MutualAidFund,
    MutualAidRule,
    Source,
    fund_id,
    rule_on,
)

VILLAGE = "621121100201"
RULE = MutualAidRule(
    effective_from=date(2015, 1, 1),
    target=50_000_000,
    max_loan=1_000_000,
    max_term_months=12,
    fee_rate=Decimal("0.06"),
)
DAY = date(2016, 5, 1)


def uid(name: str) -> str:
    """The id of the loan (or household) a test calls ``name``."""
    return str(uuid5(NAMESPACE_URL, name))


def funded(amount: int = 2_000_000) -> MutualAidFund:
    fund = MutualAidFund(fund_id(VILLAGE))
    fund.contribute(Source.FINANCE, amount, DAY)
    return fund


def lend(
    fund: MutualAidFund,
    loan: str,
    amount: int,
    household: str = "h1",
    village: str | None = VILLAGE,
    term: int = 12,
    on: date = DAY,
) -> None:
    fund.lend(uid(loan), uid(household), village, amount, term, on, RULE)


def refused_rules(fund: MutualAidFund, loan: str, amount: int, **more: Any) -> list[str]:
    before = (fund.version, fund.balance, list(fund.pending))
    with pytest.raises(RuleViolation) as refused:
        lend(fund, loan, amount, **more)
    assert (fund.version, fund.balance, fund.pending) == before  # nothing recorded
    return list(refused.value.details.get("rules", []))


def test_contributions_are_counted_by_source_and_make_the_funds_size() -> None:
    fund = funded(30_000_000)
    fund.contribute(Source.MEMBER_SHARES, 2_000_000, DAY)
    fund.contribute(Source.DONATION, 500_000, DAY + timedelta(days=1))
    assert fund.contributed == {
        Source.FINANCE: 30_000_000,
        Source.MEMBER_SHARES: 2_000_000,
        Source.DONATION: 500_000,
    }
    assert fund.balance == fund.capital == 32_500_000
    with pytest.raises(RuleViolation, match="positive"):
        fund.contribute(Source.COLLECTIVE, 0, DAY + timedelta(days=1))
    with pytest.raises(RuleViolation, match="date order"):
        fund.contribute(Source.COLLECTIVE, 100, DAY)


def test_a_loan_within_every_rule_is_granted_and_due_after_its_term() -> None:
    fund = funded()
    lend(fund, "a", 800_000)
    granted = fund.pending[-1]
    assert isinstance(granted, lo.MutualAidLoanGrantedV1)
    assert granted.due_on == date(2017, 5, 1) and granted.fee_rate == Decimal("0.06")
    assert fund.balance == 1_200_000 and fund.outstanding == 800_000
    assert fund.capital == 2_000_000  # lent money is still the fund's


@pytest.mark.parametrize(
    ("more", "amount", "rules"),
    [
        ({"village": "621121100202"}, 100, ["member_household"]),
        ({"village": None}, 100, ["member_household"]),
        ({"term": 13}, 100, ["term_limit"]),
        ({}, 1_000_001, ["amount_limit"]),
    ],
    ids=["other village", "not registered", "term", "household cap"],
)
def test_each_lending_rule_refuses_alone(more: dict, amount: int, rules: list[str]) -> None:
    assert refused_rules(funded(), "x", amount, **more) == rules


def test_the_cap_counts_what_the_household_owes_and_the_balance_never_goes_negative() -> None:
    fund = funded(1_500_000)
    lend(fund, "a", 700_000)
    assert refused_rules(fund, "b", 400_000) == ["amount_limit"]  # 300,000 left for h1
    lend(fund, "b", 700_000, household="h2")
    assert fund.balance == 100_000
    assert refused_rules(fund, "c", 100_001, household="h3") == ["fund_balance"]
    assert refused_rules(fund, "c", 900_000, term=24) == [
        "term_limit",
        "amount_limit",
        "fund_balance",
    ]
    lend(fund, "c", 100_000, household="h3")
    assert fund.balance == 0


def test_a_repayment_brings_principal_and_the_fee_for_the_days_held() -> None:
    fund = funded()
    lend(fund, "a", 1_000_000)
    fund.repay(uid("a"), 400_000, DAY + timedelta(days=100))
    fund.repay(uid("a"), 600_000, DAY + timedelta(days=182))
    fees = [e.fee for e in fund.pending if isinstance(e, lo.MutualAidRepaymentReceivedV1)]
    # 400,000 × 6 % × 100/365 = 6,575.34; 600,000 × 6 % × 182/365 = 17,950.68
    assert fees == [6_575, 17_951]
    assert fund.loans[uid("a")].outstanding == 0
    assert fund.balance == 2_000_000 + 6_575 + 17_951 == fund.capital
    assert fund.owed_by(uid("h1")) == 0  # the household may borrow again


def test_impossible_repayments_are_refused() -> None:
    fund = funded()
    lend(fund, "a", 500_000, on=DAY + timedelta(days=10))
    with pytest.raises(RuleViolation, match=r"exceeds the 5000\.00 yuan"):
        fund.repay(uid("a"), 500_001, DAY + timedelta(days=20))
    with pytest.raises(RuleViolation, match="earlier than the loan"):
        fund.repay(uid("a"), 1, DAY)
    with pytest.raises(RuleViolation, match="some principal"):
        fund.repay(uid("a"), 0, DAY + timedelta(days=20))
    with pytest.raises(NotFound):
        fund.repay(uid("nope"), 1, DAY + timedelta(days=20))
    fund.contribute(Source.COLLECTIVE, 100, DAY + timedelta(days=30))
    with pytest.raises(RuleViolation, match="date order"):
        fund.repay(uid("a"), 1, DAY + timedelta(days=20))
    assert fund.loans[uid("a")].outstanding == 500_000


def test_under_any_run_of_postings_the_balance_stays_whole_and_replay_equals_state() -> None:
    rng = random.Random(2016)
    fund = funded(1)
    day = DAY
    for i in range(400):
        day += timedelta(days=rng.randint(0, 5))
        try:
            match rng.choice(["contribute", "lend", "lend", "repay"]):
                case "contribute":
                    fund.contribute(rng.choice(list(Source)), rng.randint(1, 300_000), day)
                case "lend":
                    household = f"h{rng.randint(1, 12)}"
                    lend(fund, f"l{i}", rng.randint(1, 600_000), household=household, on=day)
                case "repay" if fund.loans:
                    loan = rng.choice(list(fund.loans))
                    fund.repay(loan, rng.randint(1, 400_000), day)
        except RuleViolation:
            pass
        assert fund.balance >= 0
        assert fund.balance == fund.capital - fund.outstanding
    assert any(isinstance(e, lo.MutualAidLoanGrantedV1) for e in fund.pending)
    replayed = MutualAidFund.replay(fund.id, fund.pending)
    assert replayed.version == fund.version == len(fund.pending)
    assert (replayed.balance, replayed.contributed, replayed.fees) == (
        fund.balance,
        fund.contributed,
        fund.fees,
    )
    assert {k: v.outstanding for k, v in replayed.loans.items()} == {
        k: v.outstanding for k, v in fund.loans.items()
    }


def test_the_rule_in_force_is_the_latest_that_has_started() -> None:
    later = MutualAidRule(date(2018, 1, 1), 60_000_000, 2_000_000, 24, Decimal("0.05"))
    assert rule_on([RULE, later], date(2017, 12, 31)) is RULE
    assert rule_on([RULE, later], date(2018, 1, 1)) is later
    with pytest.raises(LookupError):
        rule_on([RULE], date(2014, 12, 31))


def test_a_loan_lent_on_the_last_day_the_bounds_allow_is_due_within_the_calendar() -> None:
    fund = MutualAidFund(fund_id(VILLAGE))
    fund.contribute(Source.FINANCE, 2_000_000, LAST_DAY)
    lend(fund, "a", 100, on=LAST_DAY)
    granted = fund.pending[-1]
    assert isinstance(granted, lo.MutualAidLoanGrantedV1)
    assert granted.due_on == date(2101, 12, 31)
