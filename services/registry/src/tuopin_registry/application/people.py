"""The people vault: the only place the clear resident ID number is kept, sealed.

Written in the same transaction as the registering events; never projected, never
published. Each number is sealed under the person's own data key, wrapped under the
master key (see ``sealing``), and the same key seals the person's other details (name,
sex, birth date, health, mask) where events and read models carry them. Erasure drops
the wrapped key (crypto-shredding): the number and every sealed copy of the details are
gone for good while the events stay as they were. Deduplication never needs the clear
number: it runs on the keyed hash.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnClause,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    bindparam,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.store.aggregate import Conflict
from tuopin_registry.application.household_index import household_members, households
from tuopin_registry.application.sealing import PeopleKey, PersonKey, Sealed

metadata = MetaData()

# Mirrors migration r0004.
people = Table(
    "people",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("id_number_sealed", LargeBinary, nullable=False),
    Column("id_number_nonce", LargeBinary, nullable=False),
    # The person's data key under the master key; NULL once erased (crypto-shredded).
    Column("data_key_wrapped", LargeBinary),
    Column("data_key_nonce", LargeBinary),
    Column("erased_at", DateTime(timezone=True)),
)

# Every read of a clear number, kept in the transaction that reads it: who, whom, when.
# Mirrors migration r0004.
identity_reads = Table(
    "identity_reads",
    metadata,
    Column("read_id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("actor", String(128), nullable=False),
    Column("read_at", DateTime(timezone=True), nullable=False),
    Column("correlation_id", String(64)),
)


# Written as the partial unique index's own predicate, so SQLite can use that index
# (``active = 1`` would not match ``WHERE active``).
ACTIVE: ColumnClause[bool] = literal_column("household_members.active")


def enrol(key: PeopleKey, person_id: str, id_number: str) -> tuple[dict[str, Any], PersonKey]:
    """A new person's vault row, ready to insert (a bulk import inserts a batch at once),
    and their data key to seal their details with."""
    sealed, person_key = key.enrol(person_id, id_number)
    return {"person_id": person_id, **vars(sealed)}, person_key  # bytes: no deep copy


async def keep(conn: AsyncConnection, *rows: dict[str, Any]) -> None:
    """New vault rows, in one statement (one round trip for a whole household)."""
    if rows:
        await conn.execute(insert(people), list(rows))


async def person_keys(
    conn: AsyncConnection, key: PeopleKey, person_ids: Iterable[str]
) -> dict[str, PersonKey]:
    """The data keys of those people the vault still holds (none for the erased)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    p = people.c
    rows = await conn.execute(
        select(p.person_id, p.data_key_wrapped, p.data_key_nonce).where(
            p.person_id.in_(ids), p.data_key_wrapped.is_not(None)
        )
    )
    return {
        r.person_id: key.unwrap(r.person_id, r.data_key_wrapped, r.data_key_nonce) for r in rows
    }


async def correct_number(conn: AsyncConnection, key: PersonKey, id_number: str) -> None:
    """The vault keeps the corrected number in place of the wrong one, under the same key."""
    sealed, nonce = key.seal_number(id_number)
    await conn.execute(
        update(people)
        .where(people.c.person_id == key.person_id)
        .values(id_number_sealed=sealed, id_number_nonce=nonce)
    )


def details(keys: dict[str, PersonKey], person_id: str, sealed: str | None) -> dict[str, Any]:
    """A member's personal details opened ({} when nothing is sealed or the key is gone)."""
    key = keys.get(person_id)
    return key.open(sealed) if key is not None and sealed is not None else {}


class Erased(Exception):
    """The person's clear data was erased at their request; only hash and mask remain."""

    def __init__(self, person_id: str, erased_at: datetime) -> None:
        super().__init__(f"the identity of person {person_id} was erased on {erased_at:%Y-%m-%d}")
        self.erased_at = erased_at


@dataclass(frozen=True)
class Person:
    """Who a person id is, from the household index (details sealed, no clear number)."""

    person_id: str
    household_id: str
    village_code: str
    sealed: str | None
    active: bool


async def person(conn: AsyncConnection, person_id: str) -> Person | None:
    m, h = household_members.c, households.c
    row = (
        await conn.execute(
            select(m.person_id, m.household_id, h.village_code, m.sealed, m.active)
            .join(households, h.household_id == m.household_id)
            .where(m.person_id == person_id)
        )
    ).first()
    return None if row is None else Person(**row._mapping)


SEALED_COLUMNS = tuple(Sealed.__dataclass_fields__)


async def reveal(conn: AsyncConnection, key: PeopleKey, person_id: str) -> str | None:
    """The clear number (None: nobody by that id in the vault); raises ``Erased``."""
    row = (await conn.execute(select(people).where(people.c.person_id == person_id))).first()
    if row is None:
        return None
    if row.data_key_wrapped is None:
        raise Erased(person_id, row.erased_at)
    fields = row._mapping
    return key.open(person_id, Sealed(**{name: fields[name] for name in SEALED_COLUMNS}))


async def record_read(
    conn: AsyncConnection, person_id: str, actor: str, at: datetime, correlation_id: str | None
) -> None:
    await conn.execute(
        insert(identity_reads).values(
            person_id=person_id, actor=actor, read_at=at, correlation_id=correlation_id
        )
    )


async def erase(conn: AsyncConnection, person_id: str, at: datetime) -> None:
    """Crypto-shredding: forget the person's data key. The sealed number stays in its row,
    as unreadable as random bytes; no master key opens it again."""
    await conn.execute(
        update(people)
        .where(people.c.person_id == person_id)
        .values(data_key_wrapped=None, data_key_nonce=None, erased_at=at)
    )


# Who of some identity hashes is an active member, and of which household; built once
# (the statements below run on every registration), the hashes bound as an expanding list.
m = household_members.c
_ACTIVE_MEMBERS = (
    select(m.id_number_hash, m.household_id)
    .where(ACTIVE)
    .where(m.id_number_hash.in_(bindparam("hashes", expanding=True)))
)
# A filing's checks in one statement: the household holding its file number (its hash
# NULL), then the active members among its people.
_FILED = union_all(
    select(null().label("id_number_hash"), households.c.household_id).where(
        households.c.file_number == bindparam("file_number")
    ),
    _ACTIVE_MEMBERS,
)


def _refuse_member(identities: dict[str, str], found: Row[str | None, str] | None) -> None:
    if found is not None and found.id_number_hash is not None:
        raise Conflict(
            f"person {identities[found.id_number_hash]} is already a member of household "
            f"{found.household_id}",
            existing_household=found.household_id,
        )


async def refuse_duplicates(conn: AsyncConnection, identities: dict[str, str]) -> None:
    """One person, one household: refuse anyone already an active member elsewhere.

    ``identities`` maps identity hash → masked number (for the message).
    """
    if identities:
        found = await conn.execute(_ACTIVE_MEMBERS, {"hashes": list(identities)})
        _refuse_member(identities, found.first())


async def refuse_filed(conn: AsyncConnection, file_number: str, identities: dict[str, str]) -> None:
    """A new filing's checks in one statement (one round trip): its file number is not
    registered yet, then nobody in it is an active member elsewhere (``refuse_duplicates``)."""
    found = await conn.execute(_FILED, {"file_number": file_number, "hashes": list(identities)})
    rows = found.all()
    existing = next((row.household_id for row in rows if row.id_number_hash is None), None)
    if existing is not None:
        raise Conflict(
            f"file number {file_number} is already registered", existing_household=existing
        )
    _refuse_member(identities, rows[0] if rows else None)
