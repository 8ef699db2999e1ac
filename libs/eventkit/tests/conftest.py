from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_contracts.events.registry import HouseholdRegisteredV3
from tuopin_eventkit import migrate
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_eventkit.store.store import EventStore

# The registry's source: the tests store and relay registry events onto its topic, and
# consumers take an event only from its owner.
SOURCE = "/tuopin/registry"


@pytest.fixture
async def engine(database_url: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A database with the kernel's tables, migrated as a service would migrate it."""
    engine = create_engine(database_url)
    (tmp_path / "versions").mkdir()
    await migrate.upgrade(engine, tmp_path / "versions")
    async with engine.begin() as conn:
        await conn.run_sync(read_model.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def store() -> EventStore:
    return EventStore(SOURCE)


read_model = MetaData()
households_per_county = Table(
    "test_households_per_county",
    read_model,
    columns.household_id(primary_key=True),
    columns.county_code(nullable=False),
    Column("poison", Integer, nullable=False, default=0),
)


def counting_projection(
    name: str = "test.households",
    refusing: Callable[[], bool] = lambda: True,
    why: str = "this handler cannot cope with poison",
) -> Projection:
    """Counts households; refuses a POISON filing (its reason) while ``refusing()``."""
    projection = Projection(name, tables=[households_per_county])

    @projection.on(HouseholdRegisteredV3)
    async def registered(conn, events: Sequence[Delivered]) -> None:
        if refusing() and any(e.data.reason == "POISON" for e in events):
            raise ValueError(why)
        rows = [
            {"household_id": str(e.data.household_id), "county_code": e.data.county_code}
            for e in events
        ]
        await upsert(conn, households_per_county, rows, keys=["household_id"])

    return projection
