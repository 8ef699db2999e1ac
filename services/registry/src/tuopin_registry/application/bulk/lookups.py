"""The batch's lookups: which of many file numbers are filed, which of many people are
active members, each in a few statements however large the batch (the single-household
forms are in :mod:`tuopin_registry.application.people`)."""

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Text, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_eventkit.db import is_postgres
from tuopin_registry.application import people
from tuopin_registry.application.household_index import household_members, households


async def filed_households(conn: AsyncConnection, file_numbers: list[str]) -> dict[str, str]:
    """File number → household id, for those already filed."""
    found: dict[str, str] = {}
    for wanted, matches in _lookups(conn, households.c.file_number, file_numbers):
        query = select(households.c.file_number, households.c.household_id)
        if wanted is not None:
            query = query.select_from(wanted).join(households, matches)
        rows = await conn.execute(query.where(matches))
        found.update((number, household) for number, household in rows)
    return found


async def active_members(
    conn: AsyncConnection, identities: list[str]
) -> dict[str, tuple[str, str]]:
    """Identity hash → (household id, file number), for people active in a household:
    ``people.refuse_duplicates`` for a whole batch at once."""
    found: dict[str, tuple[str, str]] = {}
    members = household_members
    for wanted, matches in _lookups(conn, members.c.id_number_hash, identities):
        query = select(members.c.id_number_hash, members.c.household_id, households.c.file_number)
        if wanted is not None:
            query = query.select_from(wanted).join(members, matches)
        rows = await conn.execute(
            query.join(households, households.c.household_id == members.c.household_id).where(
                people.ACTIVE, matches
            )
        )
        found.update((identity, (household, number)) for identity, household, number in rows)
    return found


def _lookups(conn: AsyncConnection, column: Any, values: list[str]) -> Iterator[tuple[Any, Any]]:
    """How to find rows whose ``column`` is one of ``values``, as (FROM item or None,
    condition), in parts.

    SQLite: IN the values of one JSON array parameter (``json_each``), each looked up in
    the index; an IN list of thousands of parameters was rendered into the statement for
    every batch. PostgreSQL: a join with ``unnest`` of one array parameter, looked up value
    by value in the index; an IN list of a prepared statement's parameters is matched row
    by row once the plan goes generic, a sequential scan costing seconds a batch once the
    province is loaded.
    """
    size = 50_000 if is_postgres(conn) else 5_000
    for start in range(0, len(values), size):
        part = values[start : start + size]
        if is_postgres(conn):
            wanted = select(func.unnest(literal(part, ARRAY(Text))).label("value")).subquery()
            yield wanted, column == wanted.c.value
        else:
            each = func.json_each(literal(json.dumps(part), Text))
            yield None, column.in_(select(literal_column("value")).select_from(each))
