"""The people vault: the only place the clear resident ID number is kept.

Written in the same transaction as the registering events; never projected, never
published. (Encryption at rest and crypto-shredding arrive with the security work.)
"""

from sqlalchemy import Column, MetaData, String, Table, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.aggregate import Conflict
from tuopin_registry.application.household_index import household_members, households

metadata = MetaData()

people = Table(
    "people",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("id_number", String(18), nullable=False),
)


# Written as the partial unique index's own predicate, so SQLite can use that index
# (``active = 1`` would not match ``WHERE active``).
ACTIVE = literal_column("household_members.active")


async def keep(conn: AsyncConnection, person_id: str, id_number: str) -> None:
    await conn.execute(insert(people).values(person_id=person_id, id_number=id_number))


async def refuse_duplicates(conn: AsyncConnection, identities: dict[str, str]) -> None:
    """One person, one household: refuse anyone already an active member elsewhere.

    ``identities`` maps identity hash → masked number (for the message).
    """
    if not identities:
        return
    found = (
        await conn.execute(
            select(household_members.c.id_number_hash, household_members.c.household_id)
            .where(ACTIVE)
            .where(household_members.c.id_number_hash.in_(list(identities)))
        )
    ).first()
    if found is not None:
        raise Conflict(
            f"person {identities[found.id_number_hash]} is already a member of household "
            f"{found.household_id}",
            existing_household=found.household_id,
        )


async def refuse_known_file_number(conn: AsyncConnection, file_number: str) -> None:
    existing = await conn.scalar(
        select(households.c.household_id).where(households.c.file_number == file_number)
    )
    if existing is not None:
        raise Conflict(
            f"file number {file_number} is already registered", existing_household=existing
        )
