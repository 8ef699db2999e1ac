"""A roster: a service's own copy of the registry's members, kept from the registry's events.

A service never asks the registry who belongs to a household; it keeps the members it
needs, one row a person (``person_id``) in a household (``household_id``), with their
birth year and month (ages count from the 1st of the month: the registry publishes no
birth day), the keyed hash of their resident ID where the service finds people by it, and
those of their circumstances it needs (schooling, labour ability, …), each in a column
named as the registry's events name it. What a filing, an identity correction and a
change of circumstances put in such a row is the same in every service and is said here
once; what leaving and erasure mean is each service's own (a loan decision dated before
a member left still finds them; evaluation counts an erased person anonymously).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Update, bindparam, delete, func
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_eventkit.batched import executemany
from tuopin_eventkit.store import columns as shared
from tuopin_eventkit.store.projection import Delivered, Projection


class Roster:
    """The table of a service's roster and what the registry's member events do to it."""

    def __init__(
        self,
        name: str,
        metadata: MetaData,
        *columns: Column[Any],
        id_hash: Column[Any] | None = None,
    ) -> None:
        """``columns``: the service's own, after the person's; ``id_hash``: the column of
        the keyed identity hash, when the service keeps it."""
        self.table = Table(
            name,
            metadata,
            Column("person_id", String(36), primary_key=True),
            shared.household_id(nullable=False, index=True),
            *([] if id_hash is None else [id_hash]),
            Column("birth_year", Integer),
            Column("birth_month", Integer),
            *columns,
        )
        self.id_hash = None if id_hash is None else id_hash.name
        self.circumstances = tuple(
            c.name for c in columns if c.name in reg.MemberCircumstances.model_fields
        )
        hashed: dict[str, Any] = {} if self.id_hash is None else {self.id_hash: bindparam("hash")}
        self._corrected = self.update(
            **hashed, birth_year=bindparam("year"), birth_month=bindparam("month")
        )
        # A circumstance the change leaves out (None) stays as it was.
        c = self.table.c
        self._changed = self.update(
            **{f: func.coalesce(bindparam(f"new_{f}"), c[f]) for f in self.circumstances}
        )

    def update(self, **values: Any) -> Update:
        """An update of one person's row, to run for rows naming them as ``person``."""
        t = self.table
        return t.update().where(t.c.person_id == bindparam("person")).values(**values)

    def row(
        self, household_id: object, member: reg.SealedMember, **membership: object
    ) -> dict[str, object]:
        """A member's row as filed or added; ``membership``: the service's own columns."""
        # Filled in place rather than merged from dicts: a replay makes one per member.
        row: dict[str, object] = {
            "person_id": str(member.person_id),
            "household_id": str(household_id),
            "birth_year": member.birth_year,
            "birth_month": member.birth_month,
        }
        if self.id_hash is not None:
            row[self.id_hash] = member.id_number_hash
        for name in self.circumstances:
            row[name] = getattr(member, name)
        row.update(membership)
        return row

    def keep(self, projection: Projection) -> None:
        """Have ``projection`` follow the registry's corrections and changes of a member."""
        projection.on(reg.IdentityCorrectedV1)(self.identity_corrected)
        if self.circumstances:
            projection.on(reg.MemberUpdatedV2)(self.member_updated)

    async def identity_corrected(self, conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        """A wrong ID number corrected: the person is matched on the right one from now on,
        and aged from the birth it carries."""
        rows = [
            {
                "person": str(e.data.person_id),
                "year": e.data.birth_year,
                "month": e.data.birth_month,
                **({} if self.id_hash is None else {"hash": e.data.id_number_hash}),
            }
            for e in events
        ]
        await executemany(conn, self._corrected, rows)

    async def member_updated(self, conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        """The circumstances a change gives; one statement run for the batch, in event
        order (a person's last change wins)."""
        rows = []
        for e in events:
            changes = {f"new_{f}": getattr(e.data, f) for f in self.circumstances}
            if any(v is not None for v in changes.values()):  # else none this roster keeps
                rows.append({"person": str(e.data.person_id), **changes})
        await executemany(conn, self._changed, rows)

    async def forget(self, conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        """Nothing of the events' people stays."""
        people = [str(e.data.person_id) for e in events]
        await conn.execute(delete(self.table).where(self.table.c.person_id.in_(people)))
