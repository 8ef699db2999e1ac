"""A household's file as an answer: the view offices get, members' details opened by
the people vault."""

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_registry.application import people
from tuopin_registry.application.sealing import PeopleKey, PersonKey
from tuopin_registry.domain.household import Household
from tuopin_registry.domain.ledger import Ledger
from tuopin_registry.domain.members import Member


async def household_view(
    conn: AsyncConnection, vault: PeopleKey, household: Household
) -> dict[str, Any]:
    """The file, with its members' sealed details opened by the vault."""
    return view(household, await people.person_keys(conn, vault, household.members))


def view(household: Household, keys: dict[str, PersonKey]) -> dict[str, Any]:
    """A household's file as offices see it: members by name, sex and birth year, and
    no digit of their ID numbers — not even masked. The events carry the identity hash
    and the birth month, and with the county and the last four digits a handful of
    candidates would remain; whoever needs the number reads it through the recorded
    identity route (SECURITY.md)."""
    return {
        "household_id": household.id,
        "file_number": household.file_number,
        "county_code": household.county_code,
        "village_code": household.village_code,
        "status": household.status,
        "status_since": household.status_since,
        "poverty_attribute": household.poverty_attribute,
        "primary_cause": household.primary_cause,
        "secondary_causes": list(household.secondary_causes),
        "members": [
            _member_view(m, keys, person_id in household.erased)
            for person_id, m in household.members.items()
        ],
        "incomes": [_plain(i, drop=("household_id",)) for i in household.incomes.values()],
        "housing_safe": household.housing_safe,
        "drinking_water_safe": household.drinking_water_safe,
        **ledger_view(household.ledger),
        "cadre": (
            {"name": household.cadre[0], "unit": household.cadre[1]} if household.cadre else None
        ),
        "version": household.version,
    }


def ledger_view(ledger: Ledger) -> dict[str, Any]:
    return {
        "needs": [_plain(n, drop=("household_id", "village_code")) for n in ledger.needs.values()],
        "measures": [{"measure_id": key, **asdict(m)} for key, m in ledger.measures.items()],
    }


def _member_view(member: Member, keys: dict[str, PersonKey], erased: bool) -> dict[str, Any]:
    person_id = str(member.person_id)
    opened = people.details(keys, person_id, member.sealed)
    fields = member.model_dump(exclude={"person_id", "id_number_hash", "sealed", "birth_month"})
    return {
        "person_id": person_id,
        "name": opened.get("name"),
        "sex": opened.get("sex"),
        **fields,
        "health": opened.get("health"),
        # A removed household's member may be erased: nothing of them opens any more.
        **({"erased": True} if erased else {}),
    }


def _plain(event: BaseModel, drop: tuple[str, ...]) -> dict[str, Any]:
    return event.model_dump(exclude=set(drop))
