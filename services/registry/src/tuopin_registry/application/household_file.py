"""A household's file read in one statement, for its most asked answer: the village the
household index files it in (what access is scoped by), its events, and its members' data
keys as the vault keeps them. One round trip instead of three (scope, stream, keys)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, bindparam, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.store.recorded import RecordedEvent, recorded_event
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.schema import events
from tuopin_registry.application.household_index import household_members, households
from tuopin_registry.application.people import people
from tuopin_registry.application.sealing import PeopleKey, PersonKey
from tuopin_registry.domain.household import Household


@dataclass(frozen=True)
class HouseholdFile:
    household_id: str
    village_code: str | None  # None: not in the household index
    events: list[RecordedEvent]
    wrapped: dict[str, tuple[bytes, bytes]]  # person id → (wrapped data key, nonce)

    def household(
        self,
        repository: Repository[Household],
        known_at: datetime | None = None,
        as_of: date | None = None,
    ) -> Household | None:
        return repository.replay(self.household_id, self.events, known_at, as_of)

    def keys(self, vault: PeopleKey, person_ids: Iterable[str]) -> dict[str, PersonKey]:
        """The data keys of those people the vault still holds (none for the erased)."""
        return {
            person_id: vault.unwrap(person_id, *self.wrapped[person_id])
            for person_id in person_ids
            if person_id in self.wrapped
        }


def _file_query() -> CompoundSelect[Any]:
    """Its events (each with the index's village), and the vault rows of everyone ever a
    member (a person id belongs to one household); built once, ``household_id`` bound."""
    household_id: BindParameter[str] = bindparam("household_id")
    village = select(households.c.village_code).where(households.c.household_id == household_id)
    stream = select(
        events,
        village.scalar_subquery().label("village_code"),
        null().label("person_id"),
        null().label("wrapped"),
        null().label("nonce"),
    ).where(events.c.stream_id == household_id)
    p, m = people.c, household_members.c
    blank = [null() for _ in range(len(events.c) + 1)]  # the events' columns and the village
    keys = (
        select(*blank, p.person_id, p.data_key_wrapped, p.data_key_nonce)
        .join(household_members, m.person_id == p.person_id)
        .where(m.household_id == household_id, p.data_key_wrapped.is_not(None))
    )
    return union_all(stream, keys)


FILE = _file_query()


async def read_file(conn: AsyncConnection, household_id: str) -> HouseholdFile | None:
    """The file in one statement (None: the household has no events)."""
    rows = (await conn.execute(FILE, {"household_id": household_id})).all()
    found = [row for row in rows if row.person_id is None]
    if not found:
        return None
    return HouseholdFile(
        household_id,
        found[0].village_code,
        [recorded_event(row) for row in found],
        {row.person_id: (row.wrapped, row.nonce) for row in rows if row.person_id is not None},
    )
