"""The kernel's upsert, which every read model writes through: one cached statement run
with executemany, with the semantics of applying the rows in order; and ``executemany``
itself, which runs a statement's compiled SQL over rows as the driver's tuples, through
the types' bind processors or faster ones giving the same values."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Boolean, Date, DateTime, bindparam, func, select, update
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.batched import _faster, executemany, upsert

from .conftest import households_per_county as t


async def rows(engine: AsyncEngine) -> list[tuple[str, str, int]]:
    async with engine.connect() as conn:
        found = await conn.execute(select(t).order_by(t.c.household_id))
        return [tuple(r) for r in found]


async def test_repeated_keys_collapse_last_wins_when_updating(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await upsert(conn, t, {"household_id": "h1", "county_code": "620102"}, ["household_id"])
        batch = [
            {"household_id": "h1", "county_code": "620103", "poison": 1},
            {"household_id": "h2", "county_code": "620104", "poison": 2},
            {"household_id": "h1", "county_code": "620105", "poison": 3},
        ]
        await upsert(conn, t, batch, ["household_id"], update=["county_code"])
    # h1 existed: only the updated column changes, to the batch's last value.
    assert await rows(engine) == [("h1", "620105", 0), ("h2", "620104", 2)]


async def test_repeated_keys_collapse_first_wins_when_not_updating(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await upsert(conn, t, {"household_id": "h1", "county_code": "620102"}, ["household_id"])
        batch = [
            {"household_id": "h1", "county_code": "620103"},
            {"household_id": "h2", "county_code": "620104", "poison": 7},
            {"household_id": "h2", "county_code": "620105", "poison": 8},
        ]
        await upsert(conn, t, batch, ["household_id"])
    assert await rows(engine) == [("h1", "620102", 0), ("h2", "620104", 7)]


async def test_rows_naming_different_columns_each_get_their_own(engine: AsyncEngine) -> None:
    """executemany takes one set of columns; a row leaving a column out gets its default."""
    batch = [
        {"household_id": "h1", "county_code": "620102", "poison": 5},
        {"household_id": "h2", "county_code": "620103"},
        {"household_id": "h3", "county_code": "620104", "poison": 6},
    ]
    async with engine.begin() as conn:
        await upsert(conn, t, batch, ["household_id"])
        await upsert(conn, t, [], ["household_id"])  # nothing to write: no statement
    assert await rows(engine) == [("h1", "620102", 5), ("h2", "620103", 0), ("h3", "620104", 6)]


# A parameter used twice (repeated on SQLite, one $n on PostgreSQL) and a value fixed by
# the statement itself, next to the rows' own.
RECODE = (
    update(t)
    .where(t.c.household_id == bindparam("household"))
    .values(county_code=bindparam("code"), poison=func.length(bindparam("code")) + 1)
)


async def test_executemany_applies_each_row_in_order(engine: AsyncEngine) -> None:
    rows_in = [{"household_id": h, "county_code": "620102"} for h in ("h1", "h2")]
    async with engine.begin() as conn:
        await upsert(conn, t, rows_in, ["household_id"])
        await executemany(
            conn,
            RECODE,
            [
                {"household": "h1", "code": "6201"},
                {"household": "h2", "code": "62010"},
                {"household": "h1", "code": "620"},  # later: wins
                {"household": "h9", "code": "620199"},  # no such row: nothing
            ],
        )
        await executemany(conn, RECODE, [])  # nothing to run
        await executemany(
            conn, update(t).where(t.c.household_id == "h2").values(poison=0), [{}]
        )  # nothing from the rows: the statement's own values
    assert await rows(engine) == [("h1", "620", 4), ("h2", "62010", 0)]


async def test_executemany_refuses_a_row_without_a_required_parameter(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        with pytest.raises(ArgumentError, match="code"):
            await executemany(conn, RECODE, [{"household": "h1"}])


@pytest.mark.parametrize("dialect", [sqlite_dialect(), asyncpg_dialect()], ids=lambda d: d.name)
def test_the_faster_processors_give_what_sqlalchemys_give(dialect: Dialect) -> None:
    values = [
        None,
        True,
        False,
        date(1, 1, 1),
        date(2016, 2, 29),
        datetime(999, 12, 31, 23, 59, 59),
        datetime(2016, 3, 4, 5, 6, 7, 8900, tzinfo=UTC),
        datetime(2016, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=8))),
    ]
    for kind in (DateTime(timezone=True), DateTime(), Date(), Boolean()):
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue
        for value in values:
            assert _outcome(_faster(process), value) == _outcome(process, value), (kind, value)


def test_the_faster_processors_keep_no_text_for_an_equal_instant() -> None:
    """The text of the value before is reused for that very object only: the same instant
    in another offset is written as its own fields, as SQLAlchemy writes it."""
    dialect = sqlite_dialect()
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    faster = _faster(process)
    utc = datetime(2016, 3, 4, 5, 6, 7, tzinfo=UTC)
    beijing = utc.astimezone(timezone(timedelta(hours=8)))
    for value in (utc, utc, beijing, beijing, None, utc):
        assert _outcome(faster, value) == _outcome(process, value), value


def _outcome(process: Callable[[Any], Any], value: Any) -> tuple[Any, ...]:
    try:
        result = process(value)
    except (TypeError, ValueError) as exc:
        return ("refused", type(exc))
    return (result, type(result))
