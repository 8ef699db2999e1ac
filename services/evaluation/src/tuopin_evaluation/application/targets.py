"""Progress against the seed's targets (reference/targets.json), from what evaluation knows:
the registry's, the loans' and the training centres' events — each as of a business date
(default today), so a year's target reads what was true by then."""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from tuopin_contracts.dates import today
from tuopin_contracts.regions import level_of, region_prefix
from tuopin_evaluation.application import delisting
from tuopin_evaluation.application.facts import households, incomes, villages
from tuopin_evaluation.application.rollups import PolicyUnavailable, kept_rollups
from tuopin_evaluation.application.village_figures import status_on
from tuopin_evaluation.domain.rollup import Rollup
from tuopin_evaluation.domain.village_figures import Reach
from tuopin_eventkit.db import prefixed
from tuopin_eventkit.store.store import EventStore


@cache
def targets() -> tuple[dict[str, Any], ...]:
    text = (files("tuopin_evaluation") / "reference" / "targets.json").read_text("utf-8")
    return tuple(json.loads(text)["targets"])


@dataclass
class _Asked:
    """What one request asks about, and the region's own figures as of each day it needs,
    counted once: each target year's end is the next one's start, and the certificates'
    day is one of them."""

    conn: AsyncConnection
    reader: AsyncEngine  # the roll-ups kept for every request (``kept_rollups``)
    store: EventStore
    region: str
    on: date
    _figures: dict[date, Rollup | None] = field(default_factory=dict)

    async def figures_on(self, day: date) -> Rollup | None:
        if day not in self._figures:
            level = level_of(self.region)
            rows = (await kept_rollups(self.reader, self.region, level, day)).rows
            self._figures[day] = rows[0] if rows else None
        return self._figures[day]


@dataclass(frozen=True)
class Progress:
    """Each target with its figure and whether it is met: the ``rows`` an answer is kept by
    (``answers``)."""

    rows: list[dict[str, Any]]


async def progress(
    conn: AsyncConnection,
    reader: AsyncEngine,
    store: EventStore,
    region: str,
    as_of: date | None = None,
) -> Progress:
    asked = _Asked(conn, reader, store, region, as_of or today())
    measure = {
        "poor_people_reduction": _reduction,
        "rural_income_poor_areas": _rural_income,
        "mean_income_per_head": _income,
        "poor_villages_with_mutual_aid_fund": _mutual_aid,
        "households_with_certified_member": _certified,
        "counties_eligible_for_delisting": _delisting,
    }
    return Progress(
        [
            {
                **{k: v for k, v in t.items() if k != "metric"},
                **await measure[t["metric"]](asked, t),
            }
            for t in targets()
        ]
    )


async def _poor_people(asked: _Asked, day: date) -> int:
    found = await asked.figures_on(day)
    return found.poor_people if found else 0


async def _reduction(asked: _Asked, t: dict[str, Any]) -> dict:
    """The fall in poor people over each target year ended by ``on``: the roll-ups as of
    consecutive year ends. Met when every such year fell by the target (a province-wide
    target: not judged for a smaller region)."""
    by_year = {}
    for year in (y for y in t["years"] if date(y, 12, 31) <= asked.on):
        before = await _poor_people(asked, date(year - 1, 12, 31))
        after = await _poor_people(asked, date(year, 12, 31))
        by_year[str(year)] = before - after
    met = None
    if level_of(asked.region) == t["applies_to"] and by_year:
        met = all(v >= t["at_least"] for v in by_year.values())
    return {"value": by_year, "met": met}


async def _rural_income(asked: _Asked, t: dict[str, Any]) -> dict:
    """All rural residents of the poor areas, poor or not: a figure of the statistics
    bureau's household survey, which no service receives."""
    return {
        "value": None,
        "met": None,
        "note": "needs the statistics bureau's rural household survey (农村住户调查) "
        "for the poor areas; no service records it",
    }


async def _income(asked: _Asked, t: dict[str, Any]) -> dict:
    """Income per head of the beneficiaries (扶贫对象) in the target year: their total
    income over their total people, each household weighted by the members its income
    was divided among. A beneficiary is a household on the register at the end of the
    year (or on ``on``, before then): filed by that day and not removed as of it."""
    h, i = households.c, incomes.c
    status = status_on(min(date(t["year"], 12, 31), asked.on), None)
    fen, people = (
        await asked.conn.execute(
            select(func.sum(i.per_head * i.members), func.sum(i.members))
            .select_from(incomes.join(households, h.household_id == i.household_id))
            .where(prefixed(h.village_code, region_prefix(asked.region)))
            .where(status.is_not(None), status != "removed", i.year == t["year"])
        )
    ).one()
    if not people:
        return {"value": None, "met": None, "note": f"no income recorded for {t['year']}"}
    yuan = (Decimal(fen) / people / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return {
        "value": str(yuan),
        "people": int(people),
        "met": yuan >= Decimal(t["at_least_yuan"]),
    }


async def _mutual_aid(asked: _Asked, t: dict[str, Any]) -> dict:
    v, conn = villages.c, asked.conn
    poor = (prefixed(v.village_code, region_prefix(asked.region))) & v.poor
    floor = int(Decimal(t["at_least_yuan"]) * 100)
    total = await conn.scalar(select(func.count()).where(poor)) or 0
    funded = await conn.scalar(select(func.count()).where(poor, v.mutual_aid_fund >= floor)) or 0
    return {
        "value": {"poor_villages": total, "with_fund": funded},
        "met": total > 0 and funded == total,
    }


async def _certified(asked: _Asked, t: dict[str, Any]) -> dict:
    """Registered poor households (exited ones included) with a member holding a valid
    vocational certificate, on the last day of the target year — or ``on``, before then."""
    day = min(date(t["by"], 12, 31), asked.on)
    found = await asked.figures_on(day)
    reach = found.reach if found else Reach()
    coverage = reach.certified_coverage
    return {
        "value": {
            "as_of": day.isoformat(),
            "registered_households": reach.registered_households,
            "with_certified_member": reach.certified_households,
            "coverage": None if coverage is None else str(coverage),
        },
        # Exactly every one: the rounded coverage reads 1.0000 a few households short.
        "met": 0 < reach.registered_households == reach.certified_households,
    }


async def _delisting(asked: _Asked, t: dict[str, Any]) -> dict:
    counties = (
        await asked.conn.scalars(
            select(households.c.county_code)
            .where(prefixed(households.c.village_code, region_prefix(asked.region)))
            .distinct()
            .order_by(households.c.county_code)
        )
    ).all()
    try:
        found = await delisting.standings_of(
            asked.conn, asked.store, list(counties), asked.region, asked.on
        )
        eligible = [s for s in found if s["eligible"]]
    except PolicyUnavailable as exc:  # before any exit rule set: nothing to judge by
        return {"value": None, "met": None, "note": str(exc)}
    return {
        "value": {"counties": len(counties), "eligible": len(eligible)},
        "met": bool(counties) and len(eligible) == len(counties),
    }
