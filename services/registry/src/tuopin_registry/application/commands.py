"""The registry's commands: each loads an aggregate, lets it decide, and saves its events
(and the read models with them) in the caller's transaction."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import Health
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.aggregate import Conflict, RuleViolation
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore
from tuopin_registry.application import people
from tuopin_registry.application.entries import HouseholdFiling, MemberEntry
from tuopin_registry.application.household_view import household_view, ledger_view, view
from tuopin_registry.application.sealing import PeopleKey, PersonKey
from tuopin_registry.domain.household import Household
from tuopin_registry.domain.members import Details, Member
from tuopin_registry.domain.village import Village
from tuopin_registry.reference.belts import Belt, BeltTable, load_belts
from tuopin_registry.reference.regions import county_known


def households(store: EventStore) -> Repository[Household]:
    return Repository(store, "household", Household)


def villages(store: EventStore) -> Repository[Village]:
    """Villages' streams are named by their 12-digit code, unique in the province."""
    return Repository(store, "village", Village)


@dataclass(frozen=True)
class Entered:
    """A member as an office entered them: the member for the household, the person's
    vault row (their number sealed), the masked number for messages, and their new data
    key (to open their details in the answer without reading the vault back)."""

    member: Member
    vault_row: dict[str, Any]
    masked: str
    key: PersonKey


def new_member(keys: IdentityKeys, vault: PeopleKey, details: dict[str, Any]) -> Entered:
    """A member from what an office entered: the ID number checked, hashed, masked and
    sealed in a new vault row; birth date and sex taken from it (they must agree when also
    entered); name, sex, birth date, health and mask sealed under the person's own key.
    In clear only what other services need: birth year and month, disability yes/no."""
    details = dict(details)
    resident = keys.resident(details.pop("id_number"))
    for name, derived in (("birth_date", resident.birth_date), ("sex", resident.sex)):
        entered = details.pop(name, None)
        if entered is not None and entered != derived:  # the entered value is not repeated
            raise RuleViolation(f"{name} disagrees with ID number {resident.masked}")
    person_id = uuid4()
    row, key = people.enrol(vault, str(person_id), resident.number)
    personal = Details(
        name=details.pop("name"),
        sex=resident.sex,
        birth_date=resident.birth_date,
        health=details.pop("health", None),
        id_number_masked=resident.masked,
    )
    disabled = bool(details.pop("disabled", False)) or personal.health is Health.DISABLED
    member = Member(
        person_id=person_id,
        id_number_hash=resident.hash,
        birth_year=resident.birth_date.year,
        birth_month=resident.birth_date.month,
        has_disability=disabled,
        sealed=key.seal(vars(personal)),  # flat values: asdict's deep copy is not needed
        **details,
    )
    return Entered(member, row, resident.masked, key)


async def register_household(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    filing: HouseholdFiling,
) -> Outcome:
    """File a household (建档立卡) with its members; refuse anyone filed elsewhere."""
    entered = [new_member(keys, vault, m.model_dump()) for m in filing.members]
    # Checked before the append takes its lock, which every writer queues on: a twin filing
    # at once meets the unique indexes of the file number and active members instead, and
    # is run again to meet this check (``idempotency.execute``).
    await people.refuse_filed(
        conn,
        filing.file_number,
        {e.member.id_number_hash: e.masked for e in entered if e.member.id_number_hash},
    )
    await people.keep(conn, *(e.vault_row for e in entered))
    household = Household.register(
        household_id=uuid4(),
        members=[e.member for e in entered],
        county_known=county_known(filing.county_code),
        **filing.model_dump(exclude={"members"}),
    )
    await households(store).save(conn, household)
    person_keys = {str(e.member.person_id): e.key for e in entered}
    return Outcome(view(household, person_keys), created=True)


async def add_member(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    household_id: str,
    expected_version: int | None,
    entry: MemberEntry,
    effective_date: date,
    reason: str | None,
) -> Outcome:
    entered = new_member(keys, vault, entry.model_dump())
    member = entered.member
    hashed = member.id_number_hash  # always set for a member entered now
    await people.refuse_duplicates(conn, {hashed: entered.masked} if hashed else {})  # as above
    await people.keep(conn, entered.vault_row)
    return await change_household(
        conn,
        store,
        household_id,
        expected_version,
        lambda h: h.add_member(
            reg.MemberAddedV2(
                household_id=household_id,
                effective_date=effective_date,
                reason=reason,
                member=member,
            )
        ),
        vault=vault,
    )


async def update_member(
    conn: AsyncConnection,
    store: EventStore,
    vault: PeopleKey,
    household_id: str,
    person_id: str,
    expected_version: int | None,
    changes: dict[str, Any],
    effective_date: date,
    reason: str | None,
) -> Outcome:
    """A member's circumstances changed. Health is personal: a change of it re-seals the
    member's details under their own key; only ``has_disability`` is said in clear."""
    changes = dict(changes)
    health, disabled = changes.pop("health", None), changes.pop("disabled", None)
    if health is Health.DISABLED:
        disabled = True
    # The person's key, to re-seal their details with the new health (none if erased).
    keys = await people.person_keys(conn, vault, [person_id]) if health is not None else {}

    def decide(h: Household) -> None:
        sealed = None
        if health is not None:
            member = h.members.get(person_id)
            if member is not None:  # otherwise the household refuses below
                sealed = _resealed(keys, member, {"health": health})
        h.update_member(
            reg.MemberUpdatedV2(
                household_id=household_id,
                effective_date=effective_date,
                reason=reason,
                person_id=person_id,
                has_disability=disabled,
                sealed=sealed,
                **changes,
            )
        )

    return await change_household(conn, store, household_id, expected_version, decide, vault=vault)


async def correct_identity(
    conn: AsyncConnection,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    household_id: str,
    person_id: str,
    expected_version: int | None,
    id_number: str,
    effective_date: date,
    reason: str,
) -> Outcome:
    """A member's ID number was entered wrongly: checked (GB 11643) and unique like a new
    one; the vault keeps the corrected number, the details are re-sealed with the birth
    date and sex it carries, and the event says both in clear as any member's do. The
    earlier events keep what they said — the audit view as known before still shows it."""
    resident = keys.resident(id_number)
    await people.refuse_duplicates(conn, {resident.hash: resident.masked})  # as a new member
    person_keys = await people.person_keys(conn, vault, [person_id])

    def decide(h: Household) -> None:
        member = h.member(person_id)
        sealed = _resealed(
            person_keys,
            member,
            {
                "birth_date": resident.birth_date,
                "sex": resident.sex,
                "id_number_masked": resident.masked,
            },
        )
        h.correct_identity(
            reg.IdentityCorrectedV1(
                household_id=household_id,
                effective_date=effective_date,
                reason=reason,
                person_id=person_id,
                id_number_hash=resident.hash,
                birth_year=resident.birth_date.year,
                birth_month=resident.birth_date.month,
                sealed=sealed,
            )
        )

    outcome = await change_household(
        conn, store, household_id, expected_version, decide, vault=vault
    )
    await people.correct_number(conn, person_keys[person_id], resident.number)
    return outcome


def _resealed(keys: dict[str, PersonKey], member: Member, new: dict[str, Any]) -> str:
    person_id = str(member.person_id)
    key = keys.get(person_id)
    if key is None:
        raise RuleViolation(f"the details of person {person_id} were erased")
    return key.seal({**people.details(keys, person_id, member.sealed), **new})


async def change_household(
    conn: AsyncConnection,
    store: EventStore,
    household_id: str,
    expected_version: int | None,
    decide: Callable[[Household], None],
    vault: PeopleKey | None = None,
) -> Outcome:
    """Load, let the household decide (it records events or refuses), save. The answer
    shows the members' details when given the vault's key (a reaction needs none)."""
    household, _ = await households(store).change(
        conn,
        household_id,
        decide,
        expected=expected_version,
        missing=f"no household {household_id}",
    )
    if vault is None:
        return Outcome(view(household, {}))
    return Outcome(await household_view(conn, vault, household))


# --- villages ---------------------------------------------------------------------------


def _belt_holding(belts: BeltTable, registration: reg.VillageRegisteredV1) -> Belt:
    code, village = registration.hardship_belt_code, registration.village_code
    belt = belts.get(code or "")
    if belt is None:
        raise RuleViolation(
            f"no special-hardship belt (特困片带) {code} in reference list {belts.version}"
        )
    if not belt.covers(village):
        raise RuleViolation(f"village {village} lies outside belt {code} ({belt.name})")
    return belt


async def register_village(
    conn: AsyncConnection,
    store: EventStore,
    registration: reg.VillageRegisteredV1,
    belts: BeltTable | None = None,
) -> Outcome:
    """Register a village; a belt is named by code and must hold the village (its name is
    taken from the reference data, so the event says both)."""
    known = county_known(registration.village_code[:6])
    if registration.hardship_belt_code is not None:
        belt = _belt_holding(belts or load_belts(), registration)
        registration = registration.model_copy(update={"hardship_belt": belt.name})
    repository = villages(store)
    # Under the append lock: a twin would otherwise pass the check and meet the stream's
    # version at its append, refused as a stale version instead of as the same village.
    await store.lock_appends(conn)
    if await repository.get(conn, registration.village_code) is not None:
        raise Conflict(f"village {registration.village_code} is already registered")
    village = Village.register(registration, county_known=known)
    await repository.save(conn, village)
    return Outcome({"village_code": village.id, "version": village.version}, created=True)


async def change_village(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    expected_version: int | None,
    decide: Callable[[Village], None],
) -> Outcome:
    """Load, let the village decide (it records events or refuses), save."""
    village, _ = await villages(store).change(
        conn, village_code, decide, expected=expected_version, missing=f"no village {village_code}"
    )
    ledger = ledger_view(village.ledger)
    return Outcome({"village_code": village.id, "version": village.version, **ledger})
