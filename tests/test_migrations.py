"""Every service's Alembic history walks up and down, and the result matches the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from tuopin_evaluation.entrypoints.app import spec as evaluation
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.store.schema import metadata as kernel_metadata
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_loans.entrypoints.app import spec as loans
from tuopin_registry.entrypoints.app import spec as registry
from tuopin_training.entrypoints.app import spec as training


def models(spec: ServiceSpec) -> MetaData:
    """The kernel's tables plus the tables of every read model the service owns."""
    combined = MetaData()
    for table in kernel_metadata.tables.values():
        table.to_metadata(combined)
    for projection in [*spec.projections, *spec.inline_projections]:
        for table in projection.tables:
            table.to_metadata(combined)
    for table in spec.private_tables:
        table.to_metadata(combined)
    return combined


@pytest.mark.parametrize("spec", [registry, loans, training, evaluation], ids=lambda s: s.name)
async def test_migrations_walk_up_and_down_and_match_the_models(
    spec: ServiceSpec, database_url
) -> None:
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine, spec.migrations)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), models(spec))
            )
        assert diff == []

        await migrate.downgrade(engine, spec.migrations, "base")
        async with engine.connect() as conn:
            left = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert left <= {"alembic_version"}

        await migrate.upgrade(engine, spec.migrations)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert set(models(spec).tables) <= tables
    finally:
        await engine.dispose()
