"""Chinese first: every refusal the registry can answer, and every error of the import's
report, has its Chinese in the registry's catalogue (the English kept beside it)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

import tuopin_registry
from tuopin_eventkit.untranslated import untranslated
from tuopin_eventkit.web.localised import KERNEL
from tuopin_registry.adapters.messages import MESSAGES, REPORTED
from tuopin_registry.application.people import Erased


def test_every_message_the_registry_raises_is_said_in_chinese() -> None:
    # UnreadableFile: a whole file refused (422); Bad: a cell's error in the report.
    raising = {"UnreadableFile", "Bad"}
    package = Path(tuopin_registry.__file__).parent
    assert untranslated(package, MESSAGES + KERNEL, raising=raising) == []
    erased = str(Erased("p-1", datetime(2020, 5, 1, tzinfo=UTC)))  # said by its class
    assert MESSAGES.chinese(erased) == "此人（p-1）的身份信息已于 2020-05-01 应本人申请删除"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "cannot propose exit: the household is exited",
            "贫困户当前为“已脱贫（销号）”，不能提出脱贫退出",
        ),
        (
            "cannot return to poverty as of 2019-05-01: the household is exited since 2019-06-01",
            "贫困户自 2019-06-01 起为“已脱贫（销号）”，不能以 2019-05-01 为日期登记返贫",
        ),
        (
            "village 621121100201 does not lie in county 621122; "
            "a household has exactly one head, not 2",
            "村 621121100201 不属于县 621122；一户须有且只有一名户主，此户有 2 名",
        ),
        (
            "illness is the primary cause; it cannot be secondary too",
            "“因病”已是主要致贫原因，不能再列为其他致贫原因",
        ),
        ("the public notice (公示) lasts at least 7 days", "公示期不得少于 7 天"),
        ("no household 42 as of 2016-01-01", "未找到贫困户 42（截至 2016-01-01）"),
    ],
)
def test_the_registry_s_refusals_in_its_policy_terms(english: str, chinese: str) -> None:
    assert (MESSAGES + KERNEL).chinese(english) == chinese


def test_the_import_report_says_what_the_api_says() -> None:
    """One source for each message's Chinese: a filing rule reads the same in the import's
    report as in a refusal over HTTP, and the kernel's ID check is said there too."""
    rule = "the same person appears twice in the household"
    assert REPORTED.chinese(rule) == MESSAGES.chinese(rule) == "同一人在本户中出现两次"
    invalid = "invalid resident ID number 620102********0011: The number has an invalid length."
    assert (
        REPORTED.chinese(invalid) == "身份证号码（620102********0011）无效：位数不对（应为 18 位）"
    )
