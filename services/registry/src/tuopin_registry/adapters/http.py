"""The registry's REST API."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_eventkit import idempotency
from tuopin_eventkit.http import History, IdempotencyKey, history, respond
from tuopin_eventkit.service import RuntimeDep
from tuopin_registry.application import households as app

router = APIRouter(prefix="/v1/households", tags=["households"])


class HouseholdRegistration(BaseModel):
    """Filing of a poor household (建档立卡): minimal fields until the full registry lands."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    county_code: CountyCode
    village_code: VillageCode
    head_name: str = Field(min_length=1, max_length=50, description="Head of household (户主)")
    size: int = Field(ge=1, le=30, description="Number of members")


class HouseholdView(BaseModel):
    household_id: UUID
    county_code: str
    village_code: str
    head_name: str
    size: int
    status: str
    version: int


@router.post(
    "", status_code=201, response_model=HouseholdView, summary="Register a household (建档立卡)"
)
async def register(
    body: HouseholdRegistration, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def command(conn):  # type: ignore[no-untyped-def]
        return await app.register_household(conn, runtime.store, **body.model_dump())

    outcome = await idempotency.execute(
        runtime.engine,
        runtime.store,
        command,
        "registry.households.register",
        idempotency_key,
        body.model_dump(),
    )
    return respond(outcome, location=f"/v1/households/{outcome.body['household_id']}")


@router.get("/{household_id}", response_model=HouseholdView, summary="A household's current state")
async def read(household_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    async with runtime.reader.connect() as conn:
        household = await app.households(runtime.store).get(conn, str(household_id))
    if household is None:
        raise HTTPException(404, f"no household {household_id}")
    return app.view(household)


@router.get(
    "/{household_id}/history",
    response_model=History,
    summary="Every event of a household, oldest first",
)
async def household_history(
    household_id: UUID,
    runtime: RuntimeDep,
    as_of: Annotated[
        AwareDatetime | None, Query(description="Replay only up to this instant")
    ] = None,
) -> History:
    result = await history(runtime, str(household_id), as_of)
    if not result.events and as_of is None:
        raise HTTPException(404, f"no household {household_id}")
    return result
