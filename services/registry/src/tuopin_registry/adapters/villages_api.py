"""Villages over HTTP: registration, responsibility, profile, needs and measures, the
public notice, and the village itself with its ledger."""

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.bounds import Text
from tuopin_contracts.events import registry as reg
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import (
    AsOf,
    History,
    KnownAt,
    PastDep,
    Router,
    when,
)
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep
from tuopin_registry.adapters import schemas as s
from tuopin_registry.adapters import views as v
from tuopin_registry.adapters.commanding import Route, command_route, listed, recorded, vault
from tuopin_registry.application import commands, queries
from tuopin_registry.application.commands import villages
from tuopin_registry.config import RegistrySettings
from tuopin_registry.domain.village import Village
from tuopin_registry.reference.belts import BeltTable

router = Router(prefix="/v1")


def belts(runtime: Runtime) -> BeltTable:
    """The belts the service was started with (the provincial file, or the shipped one)."""
    settings = runtime.settings
    assert isinstance(settings, RegistrySettings)
    return settings.belts()


VillageCode = Annotated[str, Path(pattern=r"^62[0-9]{10}$", description="12-digit village code")]


@router.post(
    "/villages",
    status_code=201,
    response_model=v.VillageRegistered,
    tags=["villages"],
    summary="Register a village",
)
async def register_village(body: s.VillageRegistration, command: CommandDep) -> JSONResponse:
    return await command.run(
        "village",
        body.model_dump(mode="json"),
        lambda conn, store: commands.register_village(
            conn, store, reg.VillageRegisteredV1(**body.model_dump()), belts(command.runtime)
        ),
        location="/v1/villages/{village_code}",
    )


ROUTES: list[Route] = [
    (
        "responsibility",
        s.VillageResponsibility,
        "villages",
        "Assign first secretary (第一书记), resident work team and responsible unit",
        recorded(reg.VillageResponsibilityAssignedV1, Village.assign_responsibility),
    ),
    (
        "profile",
        s.VillageProfile,
        "villages",
        "Record poverty standing, population, cooperatives, mutual-aid fund",
        recorded(reg.VillageProfileRecordedV1, Village.record_profile),
    ),
    (
        "conditions",
        s.VillageConditions,
        "villages",
        "Record infrastructure and services as the county assessed them (道路, 饮水, 电, 宽带 …)",
        recorded(reg.VillageConditionsRecordedV1, Village.record_conditions),
    ),
    (
        "needs",
        s.Need,
        "villages",
        "List a village need (roads, water, power, broadband …)",
        listed(reg.VillageNeedListedV1, Village.list_need, "need_id"),
    ),
    (
        "measures",
        s.MeasurePlan,
        "villages",
        "Plan a village measure (因村施策)",
        listed(reg.VillageMeasurePlannedV1, Village.plan_measure, "measure_id"),
    ),
    (
        "measures/{item_id}/progress",
        s.Progress,
        "villages",
        "Enter progress in the work ledger",
        recorded(reg.VillageMeasureProgressedV1, Village.record_progress, "measure_id"),
    ),
]


async def _change_village(conn: AsyncConnection, runtime: Runtime, *change: Any) -> Outcome:
    return await commands.change_village(conn, runtime.store, *change)


for _route in ROUTES:
    owner = ("village_code", VillageCode)
    command_route(router, "villages", owner, _change_village, _route, v.VillageLedger)


@router.get(
    "/villages",
    tags=["villages"],
    response_model=v.Villages,
    summary="Villages by region, hardship belt, standing",
)
async def list_villages(
    runtime: RuntimeDep,
    region: Annotated[str, Query(pattern=r"^62[0-9]{4}([0-9]{3})?$")] = "620000",
    belt: Annotated[
        Text | None,
        Query(max_length=100, description="特困片带: its code, or a legacy free-text name"),
    ] = None,
    poor: bool | None = None,
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return {"items": await queries.list_villages(conn, region, belt, poor)}


@router.get(
    "/villages/{village_code}",
    response_model=v.VillageFile,
    tags=["villages"],
    summary="A village and its ledger, now or as of a business date, as known at an instant",
)
async def read_village(
    village_code: VillageCode, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        found = await queries.village(conn, village_code)
        village = await villages(runtime.store).get(conn, village_code, known_at, as_of)
    if found is None or village is None:
        raise NotFound(f"no village {village_code}" + when(as_of, known_at))
    standing = {"poor": village.poor, "rural_population": village.rural_population}
    conditions = {name: asdict(held) for name, held in village.conditions.items()}
    return {
        **found,
        **standing,
        "conditions": conditions,
        **commands.ledger_view(village.ledger),
        "as_of": as_of,
        "known_at": known_at,
    }


@router.get(
    "/villages/{village_code}/history",
    response_model=History,
    tags=["villages"],
    summary="Every event of a village with actor, reason and time",
)
async def village_history(village_code: VillageCode, past: PastDep) -> History:
    return await past.of(village_code, "village")


@router.get(
    "/villages/{village_code}/public-notice",
    tags=["villages"],
    response_model=v.PublicNotice,
    response_model_exclude_unset=True,  # the notice window on exits only
    summary="公告公示: identified households and exits on notice, personal data masked",
)
async def public_notice(village_code: VillageCode, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return {
            "village_code": village_code,
            **await queries.public_notice(conn, vault(runtime), village_code),
        }
