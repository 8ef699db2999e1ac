"""The registry as most of its integration tests run it: alone (no relay, no projections),
over the test's database and broker; a test needing other settings overrides ``settings``."""

import pytest

from tuopin_eventkit.testing import client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app


@pytest.fixture
def settings(database_url: str, kafka_settings) -> RegistrySettings:
    return RegistrySettings(
        database_url=database_url, kafka=kafka_settings, run_relay=False, run_projections=False
    )


@pytest.fixture
async def service(settings):
    """A client of the registry, and its app."""
    application = app(settings)
    async with client_for(application) as client:
        yield client, application
