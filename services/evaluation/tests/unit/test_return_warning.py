"""The return warning's rules (返贫预警). Seed 二.1 规范建档立卡: "将返贫人口及时列为扶贫对象,
做到有进有出、动态管理"; 二.3 明确脱贫措施 (measures, 工作台账) and 五.11 融合双联行动 (a named
cadre answers for the household): a warning is worked by a cadre with measures planned, and
closed as resolved or, when the household is listed again, as returned."""

from datetime import date
from uuid import NAMESPACE_URL, uuid5

import pytest

from tuopin_contracts.events import evaluation as ev
from tuopin_evaluation.domain.return_watch import ReturnWatch
from tuopin_eventkit.store.aggregate import InvalidTransition, NotFound, RuleViolation

RAISED = date(2018, 3, 1)
W1, W2, W3, H = (str(uuid5(NAMESPACE_URL, n)) for n in ("w1", "w2", "w3", "h"))


def watch() -> ReturnWatch:
    w = ReturnWatch(f"return-watch-{H}")
    w.warn(W1, H, RAISED, ["new cause: illness"])
    return w


def test_acknowledged_with_cadre_and_measures_then_resolved() -> None:
    w = watch()
    w.acknowledge(W1, H, date(2018, 3, 5), " 王明 ", "县扶贫办", ["医疗救助", " "])
    w.resolve(W1, H, date(2018, 6, 1), "大病报销后收入回升")
    ack, closed = w.pending[1:]
    assert isinstance(ack, ev.ReturnWarningAcknowledgedV1)
    assert (ack.cadre_name, ack.measures) == ("王明", ["医疗救助"])
    assert isinstance(closed, ev.ReturnWarningClosedV1)
    assert (closed.outcome, closed.reason) == ("resolved", "大病报销后收入回升")


def test_only_an_open_warning_is_acknowledged_and_a_closed_one_stays_closed() -> None:
    w = watch()
    w.acknowledge(W1, H, RAISED, "王明", "县扶贫办", ["医疗救助"])
    with pytest.raises(InvalidTransition):
        w.acknowledge(W1, H, RAISED, "王明", "县扶贫办", ["医疗救助"])
    w.resolve(W1, H, RAISED, "resolved")
    with pytest.raises(InvalidTransition):
        w.resolve(W1, H, RAISED, "again")


def test_reasons_cadre_and_measures_are_required_and_dates_follow_the_raise() -> None:
    w = watch()
    with pytest.raises(RuleViolation):
        w.acknowledge(W1, H, RAISED, "王明", "县扶贫办", [" "])
    with pytest.raises(RuleViolation):
        w.resolve(W1, H, RAISED, "  ")
    with pytest.raises(RuleViolation):
        w.resolve(W1, H, date(2018, 2, 28), "before it was raised")
    with pytest.raises(NotFound):
        w.resolve(W2, H, RAISED, "no such warning")
    assert len(w.pending) == 1


def test_a_return_to_poverty_closes_every_warning_not_yet_closed() -> None:
    """Seed 二.1: "将返贫人口及时列为扶贫对象" — listed again, its warnings are answered."""
    w = watch()
    w.warn(W2, H, date(2018, 9, 1), ["income per head 3000.00 yuan in 2018 at or below"])
    w.warn(W3, H, date(2018, 9, 2), ["new cause: disaster"])
    w.resolve(W3, H, date(2018, 9, 3), "insured")
    w.returned(H, date(2018, 12, 1), "illness")
    closed = [
        e for e in w.pending if isinstance(e, ev.ReturnWarningClosedV1) and e.outcome == "returned"
    ]
    assert sorted((str(e.warning_id), e.closed_on) for e in closed) == sorted(
        [(W1, date(2018, 12, 1)), (W2, date(2018, 12, 1))]
    )
