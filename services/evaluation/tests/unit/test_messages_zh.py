"""Chinese first: every refusal the evaluation service can answer has its Chinese in the
service's catalogue (third-party assessments, return-to-poverty warnings, rule sets)."""

from datetime import date
from pathlib import Path

import pytest

import tuopin_evaluation
from tuopin_evaluation.adapters.messages import MESSAGES
from tuopin_evaluation.domain import exit_standard
from tuopin_eventkit.chinese import has_chinese
from tuopin_eventkit.untranslated import untranslated
from tuopin_eventkit.web.localised import KERNEL

SAID = MESSAGES + KERNEL


def test_every_message_evaluation_raises_is_said_in_chinese() -> None:
    assert (
        untranslated(Path(tuopin_evaluation.__file__).parent, SAID, raising={"PolicyUnavailable"})
        == []
    )


def test_the_rule_set_lookups_it_refuses_with_are_said_too() -> None:
    """Raised as LookupError by the domain, answered as PolicyUnavailable (not found by
    the scan of the refusals it raises)."""
    for lookup in (
        lambda: exit_standard.rule_set_named([], "national-2016"),
        lambda: exit_standard.rule_set_on([], date(2010, 1, 1)),
    ):
        with pytest.raises(LookupError) as refused:
            lookup()
        said = SAID.chinese(str(refused.value).strip("'\""))
        assert said is not None and has_chinese(said), refused.value


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("cannot acknowledge: the return warning is closed", "返贫预警当前为“已关闭”，不能签收"),
        (
            "household h-1 is assisting, not exited: it cannot be wrongly exited",
            "贫困户 h-1 为“帮扶中”，并未脱贫退出，不能认定为错退",
        ),
        ("no exit rule set in force on 2010-01-01", "2010-01-01 没有生效的脱贫退出规则集"),
        (
            "evaluation knows no village 621121100201 as of 2016-01-01",
            "评估系统中没有村 621121100201（截至 2016-01-01）",
        ),
    ],
)
def test_the_evaluation_refusals_in_their_policy_terms(english: str, chinese: str) -> None:
    assert SAID.chinese(english) == chinese
