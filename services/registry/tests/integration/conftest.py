"""The registry as its integration tests run it: alone (no relay, no projections), over the
test's database and broker; ``make_settings`` for a test that adds settings of its own."""

import base64
import os
from collections.abc import Callable

import pytest

from tuopin_eventkit.testing import client_for
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app


@pytest.fixture
def make_settings(database_url: str, kafka_settings) -> Callable[..., RegistrySettings]:
    def make(**more) -> RegistrySettings:
        return RegistrySettings(
            database_url=database_url,
            kafka=kafka_settings,
            run_relay=False,
            run_projections=False,
            **more,
        )

    return make


@pytest.fixture
def settings(make_settings) -> RegistrySettings:
    return make_settings()


@pytest.fixture
def people_key() -> str:
    """A people key of the test's own: nothing may fall back to the development key
    unnoticed."""
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
async def service(settings):
    """A client of the registry, and its app."""
    application = app(settings)
    async with client_for(application) as client:
        yield client, application


@pytest.fixture
async def client(service):
    return service[0]
