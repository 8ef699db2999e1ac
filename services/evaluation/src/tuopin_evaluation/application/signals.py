"""A county's falsification signals (弄虚作假的迹象, seed 六 17) from evaluation's read
models, rebuilt from the registry's, loans' and training's events: the status history
(filing, exits, removals, each by its business date and recording instant), the incomes'
recordings, and the measures evaluation knows of (loans disbursed, trainings completed). Business
time: the facts effective by ``as_of`` (an income counts from its year's end, so a year
after ``as_of``'s is left out); recording time: only what was recorded by ``known_at``."""

import json
from dataclasses import asdict
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import today
from tuopin_contracts.vocabulary import HouseholdStatus
from tuopin_evaluation.application.facts import households, income_history, status_history
from tuopin_evaluation.application.reach import completions, disbursements
from tuopin_evaluation.application.reference import poverty_lines
from tuopin_evaluation.domain import signals as sg
from tuopin_eventkit.db import recorded_by


@cache
def reference() -> dict[str, Any]:
    text = (files("tuopin_evaluation") / "reference" / "signals.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


async def county_signals(
    conn: AsyncConnection, county: str, as_of: date | None, known_at: datetime | None
) -> dict[str, Any]:
    on = as_of or today()
    data = reference()
    registered, exits, removed = await _statuses(conn, county, on, known_at)
    incomes = await _incomes(conn, county, on, known_at)
    measures = await _measures(conn, county, on, known_at)
    lines = poverty_lines()
    line_fen = {y: fen for y in lines.yuan if (fen := lines.fen(y)) is not None}
    thresholds = sg.Thresholds.parse(data)
    found = sg.all_signals(thresholds, exits, incomes, line_fen, registered, removed, measures)
    return {
        "county": county,
        "as_of": on,
        "known_at": known_at,
        "source": data["source"],
        "signals": [asdict(s) for s in found],
    }


async def _statuses(
    conn: AsyncConnection, county: str, on: date, known_at: datetime | None
) -> tuple[dict[str, date], dict[str, date], dict[str, date]]:
    """household → the day it was filed; → the day of its latest exit (one annulled as a
    mistake, assisted again from the exit's own day, does not count); → the day it was
    removed: each effective by ``on``, recorded by ``known_at``."""
    sh, h = status_history.c, households.c
    query = (
        select(sh.household_id, sh.status, sh.effective_date)
        .select_from(status_history.join(households, h.household_id == sh.household_id))
        .where(
            h.county_code == county,
            sh.effective_date <= on,
            recorded_by(sh.recorded_at, known_at),
        )
        .order_by(sh.household_id, sh.sequence)
    )
    registered: dict[str, date] = {}
    exits: dict[str, date] = {}
    removed: dict[str, date] = {}
    for household, status, effective in await conn.execute(query):
        if status == HouseholdStatus.IDENTIFIED:
            registered.setdefault(household, effective)
        elif status == HouseholdStatus.EXITED:
            exits[household] = effective
        elif status == HouseholdStatus.ASSISTING and exits.get(household) == effective:
            del exits[household]  # annulled
        elif status == HouseholdStatus.REMOVED:
            removed[household] = effective
    return registered, exits, removed


async def _incomes(
    conn: AsyncConnection, county: str, on: date, known_at: datetime | None
) -> dict[str, dict[int, int]]:
    """household → year → income per head (fen): of each year up to ``on``'s, the latest
    recording by ``known_at``."""
    ih, h = income_history.c, households.c
    query = (
        select(ih.household_id, ih.year, ih.per_head)
        .select_from(income_history.join(households, h.household_id == ih.household_id))
        .where(h.county_code == county, ih.year <= on.year, recorded_by(ih.recorded_at, known_at))
        .order_by(ih.household_id, ih.sequence)
    )
    found: dict[str, dict[int, int]] = {}
    for household, year, per_head in await conn.execute(query):
        found.setdefault(household, {})[int(year)] = int(per_head)
    return found


async def _measures(
    conn: AsyncConnection, county: str, on: date, known_at: datetime | None
) -> dict[str, set[int]]:
    """household → the years it had a loan disbursed or a training completed, by ``on``,
    as recorded by ``known_at``."""
    h = households.c
    found: dict[str, set[int]] = {}
    for table, day in ((disbursements, "disbursed_on"), (completions, "completed_on")):
        t = table.c
        query = (
            select(t.household_id, t[day])
            .select_from(table.join(households, h.household_id == t.household_id))
            .where(h.county_code == county, t[day] <= on, recorded_by(t.recorded_at, known_at))
        )
        for household, when in await conn.execute(query):
            found.setdefault(household, set()).add(when.year)
    return found
