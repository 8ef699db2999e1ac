"""Chinese first: every refusal the training service can answer — a centre's posting
refused by a named rule among them — has its Chinese in the service's catalogue."""

from pathlib import Path

import pytest

import tuopin_training
from tuopin_eventkit.untranslated import untranslated
from tuopin_eventkit.web.localised import KERNEL
from tuopin_training.adapters.messages import MESSAGES
from tuopin_training.domain.rules import Refused

SAID = MESSAGES + KERNEL


def test_every_message_training_raises_is_said_in_chinese() -> None:
    assert untranslated(Path(tuopin_training.__file__).parent, SAID) == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            str(
                Refused(
                    "household-removed",
                    "the household was removed from the register (识别不准清退)",
                )
            ),
            "[household-removed] 该户已因识别不准被清退出建档立卡",
        ),
        (
            str(
                Refused(
                    "schooling-level",
                    "tuition_waiver is for higher_vocational, "
                    "secondary_vocational students, not preschool",
                )
            ),
            "[schooling-level] 免除学费只适用于高职（专科）、中职学生，不适用于学前教育",
        ),
        (
            str(
                Refused(
                    "two-after-school-duration",
                    "两后生 vocational education lasts 24–36 months, not 6",
                )
            ),
            "[two-after-school-duration] 两后生职业教育学制为 24–36 个月，而不是 6 个月",
        ),
        ("cannot drop out: the enrolment is completed", "报名当前为“已结业”，不能退学"),
        (
            str(Refused("county", "the student's household is in county 621121, not 621122")),
            "[county] 该生家庭所在县为 621121，不是 621122",
        ),  # the rule's name stays a code
        ("household h-1 is not registered (未建档立卡)", "贫困户 h-1 未建档立卡"),
    ],
)
def test_the_training_refusals_in_their_policy_terms(english: str, chinese: str) -> None:
    assert SAID.chinese(english) == chinese


def test_a_rule_s_name_alone_is_no_translation() -> None:
    assert SAID.chinese("[capacity] a reason no pattern knows") is None
