"""The registry's composition root."""

from fastapi import FastAPI

from tuopin_contracts import Topic
from tuopin_eventkit.web.runtime import ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_registry.adapters import access, imports
from tuopin_registry.adapters.http import router
from tuopin_registry.adapters.messages import MESSAGES
from tuopin_registry.application import household_index, people, village_index
from tuopin_registry.application.exit_verification import exit_verifications
from tuopin_registry.config import RegistrySettings

SOURCE = "/tuopin/registry"
INLINE = [household_index.index, village_index.index]

spec = ServiceSpec(
    name="registry",
    title="Tuopin registry (建档立卡)",
    settings=RegistrySettings,
    topic=Topic.REGISTRY,
    routers=[router, imports.router],
    reactions=[exit_verifications],  # evaluation's verdicts exit households
    inline_projections=INLINE,
    private_tables=[people.people, people.identity_reads, imports.imports],
    access=access.ACCESS,
    messages=MESSAGES,
)


def app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_app(spec, settings)
