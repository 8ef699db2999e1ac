"""The registry's commands: each loads an aggregate, lets it decide, and saves its events
(and the read models with them) in the caller's transaction."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.aggregate import Conflict, NotFound, RuleViolation
from tuopin_eventkit.idempotency import Outcome
from tuopin_eventkit.identity import IdentityKeys
from tuopin_eventkit.store import ConcurrencyConflict, EventStore
from tuopin_registry.application import people
from tuopin_registry.application.mapping import households, villages
from tuopin_registry.application.sealing import PeopleKey
from tuopin_registry.domain import events as ev
from tuopin_registry.domain.household import Household
from tuopin_registry.domain.ledger import Ledger
from tuopin_registry.domain.village import Village, VillageRegistered
from tuopin_registry.reference.regions import gansu


def new_member(keys: IdentityKeys, details: dict[str, Any]) -> tuple[ev.Member, str]:
    """A member from what an office entered: the ID number checked, hashed and masked, and
    birth date and sex taken from it (they must agree when also entered)."""
    details = dict(details)
    resident = keys.resident(details.pop("id_number"))
    for name, derived in (("birth_date", resident.birth_date), ("sex", resident.sex)):
        entered = details.pop(name, None)
        if entered is not None and entered != derived:
            raise RuleViolation(f"{name} {entered} disagrees with ID number {resident.masked}")
    member = ev.Member(
        person_id=str(uuid4()),
        id_number_hash=resident.hash,
        id_number_masked=resident.masked,
        birth_date=resident.birth_date,
        sex=resident.sex,
        **details,
    )
    return member, resident.number


async def _lock_before_checking(conn: AsyncConnection, store: EventStore) -> None:
    """Take the append lock before checking uniqueness (file number, active membership, a
    village's code), not only at the append: a concurrent writer filing the same thing has
    then either committed — and the checks refuse with a 409 naming what it filed — or not
    yet begun. Checked before it, two twins both pass and the slower one meets the unique
    index (a 500). SQLite's ``BEGIN IMMEDIATE`` already holds the lock; bulk filing takes it
    the same way (``bulk.file_batch``)."""
    await store.lock_appends(conn)


async def register_household(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    filing: dict[str, Any],
    members: list[dict[str, Any]],
) -> Outcome:
    """File a household (建档立卡) with its members; refuse anyone filed elsewhere."""
    entered = [new_member(keys, m) for m in members]
    await _lock_before_checking(conn, store)
    await people.refuse_known_file_number(conn, filing["file_number"])
    await people.refuse_duplicates(
        conn, {m.id_number_hash: m.id_number_masked for m, _ in entered if m.id_number_hash}
    )
    household = Household.register(
        ev.HouseholdRegistered(
            household_id=str(filing.pop("household_id", None) or uuid4()),
            members=[m for m, _ in entered],
            **filing,
        )
    )
    for member, number in entered:
        await people.keep(conn, vault, member.person_id, number)
    await households(store).save(conn, household)
    return Outcome(201, view(household))


async def add_member(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    household_id: str,
    expected_version: int | None,
    details: dict[str, Any],
    effective_date: date,
    reason: str | None,
) -> Outcome:
    member, number = new_member(keys, details)
    await _lock_before_checking(conn, store)
    await people.refuse_duplicates(conn, {member.id_number_hash: member.id_number_masked})
    outcome = await change_household(
        conn,
        store,
        household_id,
        expected_version,
        lambda h: h.add_member(
            ev.MemberAdded(
                household_id=household_id,
                effective_date=effective_date,
                reason=reason,
                member=member,
            )
        ),
    )
    await people.keep(conn, vault, member.person_id, number)
    return outcome


async def erase_person(
    conn: AsyncConnection,
    store: EventStore,
    person_id: str,
    effective_date: date,
    reason: str,
) -> Outcome:
    """Honour a deletion request in an immutable log: record the erasure in the person's
    household stream, then destroy their data key in the same transaction."""
    found = await people.person(conn, person_id)
    if found is None:
        raise NotFound(f"no person {person_id}")
    outcome = await change_household(
        conn,
        store,
        found.household_id,
        None,
        lambda h: h.erase_person(
            ev.PersonErased(
                household_id=found.household_id,
                effective_date=effective_date,
                reason=reason,
                person_id=person_id,
            )
        ),
    )
    erased_at = datetime.now(UTC)
    await people.erase(conn, person_id, erased_at)
    return Outcome(
        200,
        {
            "person_id": person_id,
            "household_id": found.household_id,
            "id_number_masked": found.id_number_masked,
            "erased_at": erased_at.isoformat(),
            "household_version": outcome.body["version"],
        },
    )


async def change_household(
    conn: AsyncConnection,
    store: EventStore,
    household_id: str,
    expected_version: int | None,
    decide: Callable[[Household], None],
) -> Outcome:
    """Load, let the household decide (it records events or refuses), save."""
    repository = households(store)
    household = await repository.get(conn, household_id)
    if household is None:
        raise NotFound(f"no household {household_id}")
    if expected_version is not None and expected_version != household.version:
        raise ConcurrencyConflict(household_id, expected_version, household.version)
    decide(household)
    await repository.save(conn, household)
    return Outcome(200, view(household))


# --- villages ---------------------------------------------------------------------------


async def register_village(
    conn: AsyncConnection, store: EventStore, registration: VillageRegistered
) -> Outcome:
    known = gansu().county_of_village(registration.village_code) is not None
    repository = villages(store)
    await _lock_before_checking(conn, store)
    if await repository.get(conn, registration.village_code) is not None:
        raise Conflict(f"village {registration.village_code} is already registered")
    village = Village.register(registration, county_known=known)
    await repository.save(conn, village)
    return Outcome(201, {"village_code": village.id, "version": village.version})


async def change_village(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    expected_version: int | None,
    decide: Callable[[Village], None],
) -> Outcome:
    """Load, let the village decide (it records events or refuses), save."""
    repository = villages(store)
    village = await repository.get(conn, village_code)
    if village is None:
        raise NotFound(f"no village {village_code}")
    if expected_version is not None and expected_version != village.version:
        raise ConcurrencyConflict(village_code, expected_version, village.version)
    decide(village)
    await repository.save(conn, village)
    return Outcome(
        200, {"village_code": village.id, "version": village.version, **ledger_view(village.ledger)}
    )


# --- the household as a response ---------------------------------------------------------


def view(household: Household) -> dict[str, Any]:
    """A household's file as offices see it; identity numbers masked."""
    return {
        "household_id": household.id,
        "file_number": household.file_number,
        "county_code": household.county_code,
        "village_code": household.village_code,
        "status": household.status,
        "poverty_attribute": household.poverty_attribute,
        "primary_cause": household.primary_cause,
        "secondary_causes": list(household.secondary_causes),
        "members": [_member_view(m) for m in household.members.values()],
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


def _member_view(member: ev.Member) -> dict[str, Any]:
    fields = asdict(member)
    del fields["id_number_hash"]
    return fields


def _plain(event: Any, drop: tuple[str, ...]) -> dict[str, Any]:
    fields = asdict(event)
    for name in drop:
        fields.pop(name, None)
    return fields
