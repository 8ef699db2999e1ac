"""Chinese first: every refusal the loans service can answer — each eligibility rule an
application fails among them — has its Chinese in the service's catalogue."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

import tuopin_loans
from tuopin_eventkit.chinese import has_chinese
from tuopin_eventkit.store.aggregate import RuleViolation
from tuopin_eventkit.untranslated import untranslated
from tuopin_eventkit.web.localised import KERNEL, localise
from tuopin_eventkit.web.problems import describe
from tuopin_loans.adapters.messages import MESSAGES
from tuopin_loans.domain.mutual_aid import MutualAidFund, MutualAidRule, Source, fund_id

SAID = MESSAGES + KERNEL


def test_every_message_loans_raises_is_said_in_chinese() -> None:
    assert untranslated(Path(tuopin_loans.__file__).parent, SAID, raising={"NoRulesInForce"}) == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("cannot write it off: the loan is active", "贷款当前为“已放款（还款中）”，不能核销"),
        (
            "student_level: the borrower's schooling is senior_secondary, not undergraduate or "
            "higher-vocational (本科, 高职专科)",
            "student_level：借款人在校情况为“高中”，不是本科或高职专科学生",
        ),
        (
            "registered_household: not a registered poor household (未建档立卡)",
            "registered_household：不是建档立卡贫困户",
        ),
        (
            "housing loans in 621121 are not compensated",
            "县 621121 的危房改造贷款不在风险补偿金代偿范围内",
        ),
        ("no subsidy statement 2020Q1-gansu-rcc", "未找到贴息结算单 2020Q1-gansu-rcc"),
        ("no mutual-aid rules in force on 2015-01-01", "2015-01-01 没有生效的互助资金规则"),
    ],
)
def test_the_loans_refusals_in_their_policy_terms(english: str, chinese: str) -> None:
    assert SAID.chinese(english) == chinese


def test_each_failed_rule_of_a_refused_loan_is_listed_and_said() -> None:
    rule = MutualAidRule(
        effective_from=date(2015, 1, 1),
        target=50_000_000,
        max_loan=1_000_000,
        max_term_months=12,
        fee_rate=Decimal("0.06"),
    )
    fund = MutualAidFund(fund_id("621121100201"))
    fund.contribute(Source.FINANCE, 500_000, date(2016, 5, 1))
    with pytest.raises(RuleViolation) as refused:
        fund.lend("l-1", "h-1", "621121100299", 2_000_000, 24, date(2016, 5, 1), rule)
    problem = localise(describe(refused.value) or {}, SAID)
    assert problem["rules"] == ["member_household", "term_limit", "amount_limit", "fund_balance"]
    assert [f["rule"] for f in problem["failures"]] == problem["rules"]  # one each, in order
    assert problem["failures"][1]["message"] == (
        "term_limit：期限 24 个月，超过上限 12 个月（term_limit: 24 months exceeds 12）"
    )
    assert all(has_chinese(f["message"]) for f in problem["failures"])
    assert problem["detail"].startswith("借款不符合 4 项条件：member_household：h-1 不是村")
