"""Registering and reading households; maps domain events to contract events."""

from dataclasses import asdict
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events.registry import HouseholdRegisteredV1
from tuopin_eventkit.idempotency import Outcome
from tuopin_eventkit.repository import Repository
from tuopin_eventkit.store import EventStore
from tuopin_registry.domain.household import Household, HouseholdRegistered

STREAM_TYPE = "household"


def to_contract(event: object) -> EventData:
    match event:
        case HouseholdRegistered():
            return HouseholdRegisteredV1.model_validate(asdict(event))
    raise TypeError(f"no contract for {type(event).__name__}")


def to_domain(event: EventData) -> object:
    match event:
        case HouseholdRegisteredV1():
            return HouseholdRegistered(
                **{**event.model_dump(), "household_id": str(event.household_id)}
            )
    raise TypeError(f"no domain event for {event.TYPE}")


def households(store: EventStore) -> Repository[Household]:
    return Repository(store, STREAM_TYPE, Household, to_contract, to_domain)


def view(household: Household) -> dict[str, Any]:
    return {
        "household_id": household.id,
        "county_code": household.county_code,
        "village_code": household.village_code,
        "head_name": household.head_name,
        "size": household.size,
        "status": household.status,
        "version": household.version,
    }


async def register_household(
    conn: AsyncConnection,
    store: EventStore,
    county_code: str,
    village_code: str,
    head_name: str,
    size: int,
    household_id: UUID | None = None,
) -> Outcome:
    household = Household.register(
        str(household_id or uuid4()), county_code, village_code, head_name, size
    )
    await households(store).save(conn, household)
    return Outcome(201, view(household))
