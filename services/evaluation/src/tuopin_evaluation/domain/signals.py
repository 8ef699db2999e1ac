"""Falsification signals (弄虚作假的迹象, seed 六 考评精准 17): patterns in a county's
records that an assessor checks on the spot. Each is a pure function of the facts it is
given and a threshold from reference/signals.json; each names the households it flags.
A signal is a reason to look, never a finding."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Thresholds:
    near_line_margin: Decimal  # per head within this fraction above the line
    year_end_days: int  # the last N days of a year
    year_end_max_share: Decimal  # of a year's exits, a larger share in those days flags
    year_end_min_exits: int  # fewer exits in a year than this: no share is judged
    income_jump_factor: Decimal  # per head rising by more than this factor year on year
    quick_removal_days: int  # registered and removed within this many days

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> "Thresholds":
        return cls(
            near_line_margin=_decimal(data["near_line_at_exit"]["margin"]),
            year_end_days=int(data["year_end_exits"]["last_days"]),
            year_end_max_share=_decimal(data["year_end_exits"]["max_share"]),
            year_end_min_exits=int(data["year_end_exits"]["min_exits"]),
            income_jump_factor=_decimal(data["income_jump"]["factor"]),
            quick_removal_days=int(data["quick_removal"]["days"]),
        )


def _decimal(raw: object) -> Decimal:
    if not isinstance(raw, str):
        raise ValueError(f"thresholds are decimal strings, not {raw!r}")
    return Decimal(raw)


@dataclass(frozen=True)
class Signal:
    name: str
    explanation: str
    threshold: dict[str, str | int]
    households: list[str] = field(default_factory=list)


Incomes = Mapping[str, Mapping[int, int]]  # household → year → per head (fen)


def near_line_at_exit(
    exits: Mapping[str, date], incomes: Incomes, line_fen: Mapping[int, int], margin: Decimal
) -> Signal:
    """Exited households whose income per head of the exit's year is above that year's
    line by no more than ``margin`` of it."""
    flagged = []
    for household, on in exits.items():
        per_head, line = incomes.get(household, {}).get(on.year), line_fen.get(on.year)
        if per_head is None or line is None:
            continue
        if line < per_head <= line * (1 + margin):
            flagged.append(household)
    return Signal(
        "near_line_at_exit",
        "脱贫当年人均纯收入刚过贫困线 (数字脱贫): the exit year's income per head is above "
        "that year's poverty line by no more than the margin.",
        {"margin": str(margin)},
        sorted(flagged),
    )


def year_end_exits(
    exits: Mapping[str, date], last_days: int, max_share: Decimal, min_exits: int
) -> Signal:
    """In each year with at least ``min_exits`` exits, when more than ``max_share`` of
    them are dated in the year's last ``last_days`` days: those households."""
    by_year: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for household, on in exits.items():
        by_year[on.year].append((household, on))
    flagged = []
    for year, moves in by_year.items():
        late = [h for h, on in moves if (date(year, 12, 31) - on).days < last_days]
        if len(moves) >= min_exits and Decimal(len(late)) > max_share * len(moves):
            flagged.extend(late)
    return Signal(
        "year_end_exits",
        "年底突击脱贫: more than the share of a year's exits in the county dated in the "
        "year's last days; the households exited in those days.",
        {"last_days": last_days, "max_share": str(max_share), "min_exits": min_exits},
        sorted(flagged),
    )


def income_jump(
    incomes: Incomes, factor: Decimal, measures: Mapping[str, AbstractSet[int]]
) -> Signal:
    """Households whose income per head rose by more than ``factor`` from one year to the
    next with no measure recorded (``measures``: household → the years it had one) in that
    year or the year before."""
    flagged = [
        household
        for household, years in incomes.items()
        if any(
            y - 1 in years
            and years[y - 1] > 0
            and years[y] > factor * years[y - 1]
            and not {y - 1, y} & measures.get(household, frozenset())
            for y in years
        )
    ]
    return Signal(
        "income_jump",
        "收入异常跳升而无帮扶措施: income per head rose by more than the factor from one year "
        "to the next, with no loan disbursed (贴息贷款) nor training completed (培训结业) "
        "recorded that year or the year before; other measures (产业, 转移就业 …) are not "
        "in evaluation's records and are not consulted.",
        {
            "factor": str(factor),
            "measures": "loan disbursed or training completed, same or previous year",
        },
        sorted(flagged),
    )


def quick_removal(registered: Mapping[str, date], removed: Mapping[str, date], days: int) -> Signal:
    """Households removed from the register (清退) within ``days`` of being filed."""
    flagged = [
        household
        for household, on in removed.items()
        if household in registered and (on - registered[household]).days <= days
    ]
    return Signal(
        "quick_removal",
        "建档后短期内清退: filed (建档立卡) and removed from the register within the days.",
        {"days": days},
        sorted(flagged),
    )


def all_signals(
    thresholds: Thresholds,
    exits: Mapping[str, date],
    incomes: Incomes,
    line_fen: Mapping[int, int],
    registered: Mapping[str, date],
    removed: Mapping[str, date],
    measures: Mapping[str, AbstractSet[int]],
) -> Sequence[Signal]:
    t = thresholds
    return [
        near_line_at_exit(exits, incomes, line_fen, t.near_line_margin),
        year_end_exits(exits, t.year_end_days, t.year_end_max_share, t.year_end_min_exits),
        income_jump(incomes, t.income_jump_factor, measures),
        quick_removal(registered, removed, t.quick_removal_days),
    ]
