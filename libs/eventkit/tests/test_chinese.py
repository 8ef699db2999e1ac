"""Chinese first: a service's own catalogue of messages beside the kernel's, said in the
detail and in each message a refusal lists; and the check that finds a message no
catalogue says."""

from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI

from tuopin_eventkit.chinese import Catalogue, has_chinese
from tuopin_eventkit.security import auth
from tuopin_eventkit.store.aggregate import InvalidTransition, RuleViolation
from tuopin_eventkit.testing import client_for, offline, own_spec
from tuopin_eventkit.untranslated import raised_messages, untranslated
from tuopin_eventkit.web.localised import KERNEL, localise
from tuopin_eventkit.web.service import create_app

# A service's catalogue as a service writes one: its patterns and its words.
OWN = Catalogue(
    [
        (
            r"the application fails (?P<n>\d+) rule\(s\): (?P<rules>.+)",
            "贷款申请不符合 {n} 项条件：{rules}",
        ),
        (
            r"term_limit: (?P<t>\d+) months exceeds (?P<max>\d+)",
            "term_limit：期限 {t} 个月，超过上限 {max} 个月",
        ),
        (
            r"borrower_member: on (?P<on>\S+) the borrower is not a member of the household",
            "borrower_member：{on} 时借款人不是该户成员",
        ),
        (r"\[(?P<rule>[^\]]+)\] (?P<why>.+)", "[{rule}] {why}"),
        (
            r"a household has exactly one head, not (?P<n>\d+)",
            "一户须有且只有一名户主，此户有 {n} 名",
        ),
    ],
    {
        "exited": "已脱贫（销号）",
        "propose exit": "提出脱贫退出",
        "preschool": "学前教育",
        "secondary_vocational": "中职",
    },
)
SAID = OWN + KERNEL


def test_a_service_s_words_fill_the_kernel_s_patterns() -> None:
    detail = str(InvalidTransition("household", "exited", "propose exit"))
    assert SAID.chinese(detail) == "贫困户当前为“已脱贫（销号）”，不能提出脱贫退出"
    assert KERNEL.chinese(detail) == "贫困户当前为“exited”，不能propose exit"  # no words


def test_the_rules_a_refusal_lists_are_each_said() -> None:
    detail = (
        "the application fails 2 rule(s): term_limit: 60 months exceeds 36; "
        "borrower_member: on 2020-03-01 the borrower is not a member of the household"
    )
    assert SAID.chinese(detail) == (
        "贷款申请不符合 2 项条件：term_limit：期限 60 个月，超过上限 36 个月；"
        "borrower_member：2020-03-01 时借款人不是该户成员"
    )
    # several messages joined by "; " without a pattern for the whole: each said
    joined = "a household has exactly one head, not 2; a rule nobody translated"
    assert SAID.chinese(joined) == "一户须有且只有一名户主，此户有 2 名；a rule nobody translated"


def test_a_template_that_says_nothing_in_chinese_is_no_translation() -> None:
    assert SAID.chinese("[capacity] a reason nobody translated") is None
    assert SAID.beside("[capacity] a reason nobody translated") == (
        "[capacity] a reason nobody translated"
    )
    assert SAID.chinese("a list of words: preschool, secondary_vocational") is None


def test_the_messages_a_refusal_lists_are_said_beside_their_english() -> None:
    problem = {
        "type": "https://tuopin.gov.cn/problems/rule-violation",
        "title": "Rule violated",
        "status": 422,
        "detail": "the application fails 1 rule(s): term_limit: 60 months exceeds 36",
        "rules": ["term_limit"],  # codes: kept as they are, clients match on them
        "failures": [{"rule": "term_limit", "message": "term_limit: 60 months exceeds 36"}],
        "violations": [{"field": "relation", "message": "unknown to the catalogue", "member": 1}],
        "current_state": "exited",
    }
    said = localise(problem, SAID)
    assert said["rules"] == ["term_limit"]
    assert said["failures"] == [
        {
            "rule": "term_limit",
            "message": "term_limit：期限 60 个月，超过上限 36 个月"
            "（term_limit: 60 months exceeds 36）",
        },
    ]
    assert said["violations"] == problem["violations"]  # unknown: English alone
    assert said["current_state"] == "exited"
    assert said["detail"].startswith("贷款申请不符合 1 项条件：term_limit：期限 60 个月")


# --- over HTTP: the catalogue a service names in its spec ------------------------------

router = APIRouter()


@router.post("/v1/applications")
async def apply() -> None:
    raise RuleViolation(
        "the application fails 1 rule(s): term_limit: 60 months exceeds 36",
        rules=["term_limit"],
        failures=[{"rule": "term_limit", "message": "term_limit: 60 months exceeds 36"}],
    )


@router.post("/v1/exits")
async def exit_household() -> None:
    raise InvalidTransition("household", "exited", "propose exit")


def service(tmp_path: Path) -> FastAPI:
    access = {
        "POST /v1/applications": auth.Rule(auth.Access.WRITE),
        "POST /v1/exits": auth.Rule(auth.Access.WRITE),
    }
    spec = own_spec(tmp_path, "said", routers=[router], messages=OWN, access=access)
    return create_app(spec, offline(tmp_path))


async def _post(client: httpx.AsyncClient, path: str, language: str) -> dict[str, Any]:
    answer = await client.post(path, headers={"Accept-Language": language})
    assert answer.status_code in (409, 422), answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_a_service_s_refusals_in_its_own_chinese_with_the_english(tmp_path: Path) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        refused = await _post(client, "/v1/applications", "zh-CN")
        english = await _post(client, "/v1/applications", "en")
        transition = await _post(client, "/v1/exits", "zh-CN,en;q=0.5")
    assert refused["detail"] == (
        "贷款申请不符合 1 项条件：term_limit：期限 60 个月，超过上限 36 个月"
        "（the application fails 1 rule(s): term_limit: 60 months exceeds 36）"
    )
    assert has_chinese(refused["failures"][0]["message"]) and refused["rules"] == ["term_limit"]
    assert english["detail"] == "the application fails 1 rule(s): term_limit: 60 months exceeds 36"
    assert english["failures"][0]["message"] == "term_limit: 60 months exceeds 36"
    assert transition["detail"] == (
        "贫困户当前为“已脱贫（销号）”，不能提出脱贫退出"
        "（cannot propose exit: the household is exited）"
    )


# --- the check that finds a message no catalogue says ----------------------------------

SOURCE = """
from tuopin_eventkit.store.aggregate import InvalidTransition, RuleViolation

class Household:
    def propose(self, on):
        self._transition("propose exit", on)

    def _transition(self, command, on):
        if self.status != "assisting":
            raise InvalidTransition("household", str(self.status), command)

def check(members):
    failed = []
    if len(members) > 30:
        failed.append(f"term_limit: {len(members)} months exceeds 30")
    message = f"a household has exactly one head, not {len(members)}"
    if failed:
        raise RuleViolation(message)
    raise RuleViolation(f"members {members} are not in the register")
"""


def test_every_message_a_package_raises_is_found(tmp_path: Path) -> None:
    (tmp_path / "household.py").write_text(SOURCE)
    assert set(raised_messages(tmp_path)) == {
        "cannot 7: the household is 7",  # the helper itself
        "cannot propose exit: the household is 7",  # each command it is called with
        "term_limit: 7 months exceeds 30",
        "a household has exactly one head, not 7",
        "members 7 are not in the register",
    }
    missing = untranslated(tmp_path, SAID)
    assert [m.split(": ", 1)[1] for m in missing] == ["'members 7 are not in the register' → None"]
    assert untranslated(tmp_path, KERNEL) != []  # the service's words and patterns are needed


def test_the_kernel_says_its_own_messages() -> None:
    package = Path(__file__).parents[1] / "src" / "tuopin_eventkit"
    # The samples of the messages built from a role, an action or a subject alone
    # ("7 7 of 7 may not 77"): their real forms are said (test_hardening's cases).
    samples = {
        "7 7 of 7 may not 77",
        "no 7 77",
        "7 7 has no access rule",
        "7 7 cannot check its scope",
    }
    assert untranslated(package, KERNEL, ignore=samples) == []
