"""The registry's composition root."""

from pathlib import Path

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_eventkit.service import ServiceSpec, create_app
from tuopin_registry.adapters.http import router
from tuopin_registry.config import RegistrySettings

spec = ServiceSpec(
    name="registry",
    title="Tuopin registry (建档立卡)",
    settings=RegistrySettings,
    migrations=Path(__file__).parents[1] / "migrations" / "versions",
    topic=Topic.REGISTRY,
    routers=[router],
)


def app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_app(spec, settings)
