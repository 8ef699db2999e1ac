"""Alembic, driven from code: the kernel's revisions plus the service's own.

The kernel's tables live on the ``eventkit`` branch; each service's first revision
depends on it, so ``upgrade heads`` builds a service database from nothing.
"""

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

KERNEL_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(service_versions: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(KERNEL_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option(
        "version_locations", f"{KERNEL_MIGRATIONS / 'versions'}:{service_versions}"
    )
    return config


async def upgrade(engine: AsyncEngine, service_versions: Path, target: str = "heads") -> None:
    await _run(engine, service_versions, command.upgrade, target)


async def downgrade(engine: AsyncEngine, service_versions: Path, target: str = "base") -> None:
    await _run(engine, service_versions, command.downgrade, target)


async def _run(
    engine: AsyncEngine, service_versions: Path, action: Callable[[Config, str], None], target: str
) -> None:
    config = alembic_config(service_versions)

    def run(sync_connection: Connection) -> None:
        config.attributes["connection"] = sync_connection
        action(config, target)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def birth_date_to_month(table: str) -> None:
    """In a service migration: a read model's ``birth_date`` becomes ``birth_year`` and
    ``birth_month`` (events no longer carry the day; SECURITY.md says why)."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer))
        batch.add_column(sa.Column("birth_month", sa.Integer))
    t = sa.table(
        table, sa.column("birth_date", sa.Date), sa.column("birth_year"), sa.column("birth_month")
    )
    op.get_bind().execute(
        t.update().values(
            birth_year=sa.extract("year", t.c.birth_date),
            birth_month=sa.extract("month", t.c.birth_date),
        )
    )
    with op.batch_alter_table(table) as batch:
        batch.drop_column("birth_date")


def birth_month_to_date(table: str) -> None:
    """The reverse: the first of the birth month (the day is gone)."""
    import sqlalchemy as sa
    from alembic import op

    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("birth_date", sa.Date))
    if op.get_bind().dialect.name == "postgresql":
        first = "make_date(birth_year, birth_month, 1)"
    else:
        first = "printf('%04d-%02d-01', birth_year, birth_month)"
    op.execute(f"UPDATE {table} SET birth_date = {first} WHERE birth_year IS NOT NULL")
    with op.batch_alter_table(table) as batch:
        batch.drop_column("birth_year")
        batch.drop_column("birth_month")


def remask(table: str, column: str) -> None:
    """In a service migration: stored masked numbers keep only their last four characters,
    as ``identity.mask_id`` masks today (there is no way back)."""
    from alembic import op

    op.execute(
        f"UPDATE {table} SET {column} = '**************' || substr({column}, length({column}) - 3)"
        f" WHERE {column} IS NOT NULL AND length({column}) = 18"
    )
