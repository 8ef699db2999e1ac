"""Alembic, driven from code: the kernel's revisions plus the service's own.

The kernel's tables live on the ``eventkit`` branch; each service's first revision
depends on it, so ``upgrade heads`` builds a service database from nothing.
"""

from pathlib import Path

from alembic import command
from alembic.config import Config
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


async def _run(engine: AsyncEngine, service_versions: Path, action, target: str) -> None:  # type: ignore[no-untyped-def]
    config = alembic_config(service_versions)

    def run(sync_connection) -> None:  # type: ignore[no-untyped-def]
        config.attributes["connection"] = sync_connection
        action(config, target)

    async with engine.begin() as conn:
        await conn.run_sync(run)
