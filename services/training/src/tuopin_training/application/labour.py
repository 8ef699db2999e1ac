"""Labour transfer (劳务输转, seed item 8(3) "重视发展劳务经济 … 推进培训、鉴定、输转一体化"):
the people a centre placed in work and the households they come from, by region, split
by destination — within Gansu or outside it (``outside_province`` as the centre recorded
it), and by ``place`` as recorded — with the months worked.

Business time: a placement counts in ``year`` when its ``start_date`` falls in that year
and on or before ``as_of``. With ``known_at``, only placements recorded by that instant
count (the audit view); placements recorded before the instant was kept have none until
``training.records`` is rebuilt. ``months_worked`` is the figure the centre recorded with
the placement (a total, not prorated to ``as_of``); a person placed twice counts once
among the people and twice among the placements.

No income: ``training.placement.recorded.v1`` carries none, so this report states none.
What transferred labour earns reaches a household's income only where the registry
records it (its income survey), not from here.

The region is a county, township or village code, or ``62`` for the province; the rows are
the next level down (counties of the province, townships of a county, villages of a
township; a village is its own row), by the village the household was in when placed.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tuopin_eventkit.db import prefixed, recorded_by
from tuopin_training.application.records import placements as p

# Digits of a region's code → digits of the rows below it.
NEXT_LEVEL = {2: 6, 6: 9, 9: 12, 12: 12}
LEVEL_NAMES = {6: "county", 9: "township", 12: "village"}


def counted(region: str, year: int, day: date, known_at: datetime | None) -> ColumnElement[bool]:
    return and_(
        prefixed(p.c.village_code, region),
        p.c.start_date.between(date(year, 1, 1), min(day, date(year, 12, 31))),
        recorded_by(p.c.recorded_at, known_at),
    )


def _figures(row: Any) -> dict[str, int]:
    return {
        "people": row.people,
        "households": row.households,
        "placements": row.placements,
        "months_worked": int(row.months_worked),
    }


async def _tally(
    conn: AsyncConnection, where: ColumnElement[bool], *keys: Any
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The figures per combination of ``keys`` (one row, keyed ``()``, with none)."""
    rows = await conn.execute(
        select(
            *keys,
            func.count(distinct(p.c.id_number_hash)).label("people"),
            func.count(distinct(p.c.household_id)).label("households"),
            func.count().label("placements"),
            func.coalesce(func.sum(p.c.months_worked), 0).label("months_worked"),
        )
        .where(where)
        .group_by(*keys)
    )
    return {tuple(r[: len(keys)]): _figures(r) for r in rows}


def _split(
    by_side: dict[tuple[Any, ...], dict[str, int]],
    by_place: dict[tuple[Any, ...], dict[str, int]],
    *prefix: Any,
) -> dict[str, Any]:
    """Within / outside the province and, under each, the places as recorded."""
    empty = {"people": 0, "households": 0, "placements": 0, "months_worked": 0}
    split: dict[str, Any] = {}
    for name, outside in (("within_province", False), ("outside_province", True)):
        places = [
            {"place": key[-1], **figures}
            for key, figures in sorted(by_place.items(), key=lambda kv: str(kv[0][-1]))
            if key[:-1] == (*prefix, outside)
        ]
        split[name] = {**by_side.get((*prefix, outside), empty), "places": places}
    return split


async def report(
    conn: AsyncConnection, region: str, year: int, day: date, known_at: datetime | None = None
) -> dict[str, Any]:
    where = counted(region, year, day, known_at)
    digits = NEXT_LEVEL[len(region)]
    code = func.substr(p.c.village_code, 1, digits)
    side, place = p.c.outside_province, p.c.place
    total = await _tally(conn, where)
    total_side = await _tally(conn, where, side)
    total_place = await _tally(conn, where, side, place)
    rows = await _tally(conn, where, code)
    rows_side = await _tally(conn, where, code, side)
    rows_place = await _tally(conn, where, code, side, place)
    regions = [
        {"code": key[0], **figures, **_split(rows_side, rows_place, key[0])}
        for key, figures in sorted(rows.items())
    ]
    return {
        "region": region,
        "year": year,
        "as_of": day,
        "known_at": known_at,
        "level": LEVEL_NAMES[digits],
        **total.get((), {"people": 0, "households": 0, "placements": 0, "months_worked": 0}),
        **_split(total_side, total_place),
        "regions": regions,
    }


def csv_rows(answer: dict[str, Any]) -> list[list[Any]]:
    """One line per region, destination and place (the report's leaves)."""
    lines = []
    for r in answer["regions"]:
        for side in ("within_province", "outside_province"):
            for at in r[side]["places"]:
                lines.append(
                    [
                        r["code"],
                        side,
                        at["place"],
                        at["people"],
                        at["households"],
                        at["placements"],
                        at["months_worked"],
                    ]
                )
    return lines


CSV_HEADER = ["code", "destination", "place", "people", "households", "placements", "months_worked"]
