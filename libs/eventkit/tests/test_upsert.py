"""The kernel's upsert, which every read model writes through: one cached statement run
with executemany, with the semantics of applying the rows in order."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.db import upsert

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
