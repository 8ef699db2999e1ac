"""Members' personal details sealed: name, sex, birth date, health and masked number leave
the events and the read model in clear; they are sealed under each person's data key.

Upgrade, in the event store: every ``registered.v2``, ``member_added.v1`` and
``member_updated.v1`` is rewritten as its new version (``registered.v3``,
``member_added.v2``, ``member_updated.v2``) with the same id, position and time: the
facts other services need stay in clear (birth year and month, disability yes/no, …),
the personal details are sealed — or dropped, for a person already erased, whose key is
gone. The mask keeps only its last four characters. In the read model the member rows
keep the sealed details instead of name and mask; the households lose the head's name
and mask. Records the relay already published are not recalled: SECURITY.md says how to
replace the topic. Run it with the people key the service runs with (as r0004).

Downgrade: the reverse, the details opened again (an erased person's name reads
"(erased)", as the older schema has no place for "unknown").

Revision ID: r0005
Revises: r0004
Create Date: 2026-12-06
"""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from tuopin_contracts import EventData
from tuopin_contracts.events import registry as reg
from tuopin_registry.application.sealing import PeopleKey, PersonKey

revision = "r0005"
down_revision = "r0004"
branch_labels = None
depends_on = None

BATCH = 500  # households a batch
ERASED = "(erased)"
OLD = (reg.HouseholdRegisteredV2.TYPE, reg.MemberAddedV1.TYPE, reg.MemberUpdatedV1.TYPE)
NEW = (reg.HouseholdRegisteredV3.TYPE, reg.MemberAddedV2.TYPE, reg.MemberUpdatedV2.TYPE)
ANY_DAY = date(2016, 1, 1)  # the upcasters ignore the day an event was recorded

events = sa.table(
    "events",
    sa.column("position", sa.Integer),
    sa.column("stream_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("type", sa.String),
    sa.column("data", sa.JSON),
)
members = sa.table(
    "household_members",
    sa.column("person_id"),
    sa.column("household_id"),
    sa.column("relation"),
    sa.column("sealed"),
    sa.column("name"),
    sa.column("id_number_masked"),
)
heads = sa.table(
    "households", sa.column("household_id"), sa.column("head_name"), sa.column("head_id_masked")
)
people = sa.table(
    "people", sa.column("person_id"), sa.column("data_key_wrapped"), sa.column("data_key_nonce")
)
Details = dict[str, Any]


def _vault() -> PeopleKey:
    from tuopin_registry.config import RegistrySettings

    return RegistrySettings().people()


Rows = Sequence[sa.Row[Any, Any, Any]]  # position, type, data


def _streams(types: tuple[str, ...]) -> Iterator[Rows]:
    """Events of these types, a batch of households at a time (keyset pagination), each
    household's in its order."""
    conn, last = op.get_bind(), ""
    while True:
        ids = conn.scalars(
            sa.select(events.c.stream_id)
            .where(events.c.type.in_(types), events.c.stream_id > last)
            .group_by(events.c.stream_id)
            .order_by(events.c.stream_id)
            .limit(BATCH)
        ).all()
        if not ids:
            return
        yield conn.execute(
            sa.select(events.c.position, events.c.type, events.c.data)
            .where(events.c.stream_id.in_(ids), events.c.type.in_(types))
            .order_by(events.c.stream_id, events.c.version)
        ).all()
        last = ids[-1]


def _keys(vault: PeopleKey, rows: Rows) -> dict[str, PersonKey]:
    """The data keys of the people these events name (the erased have none)."""
    named = set()
    for row in rows:
        data = row.data
        for m in [*data.get("members", []), data.get("member") or {}, data]:
            if m.get("person_id"):
                named.add(m["person_id"])
    found = op.get_bind().execute(
        sa.select(people).where(
            people.c.person_id.in_(sorted(named)), people.c.data_key_wrapped.is_not(None)
        )
    )
    return {
        r.person_id: vault.unwrap(r.person_id, r.data_key_wrapped, r.data_key_nonce) for r in found
    }


def _rewrite(position: int, new: EventData) -> None:
    op.get_bind().execute(
        events.update()
        .where(events.c.position == position)
        .values(type=new.TYPE, data=new.model_dump(mode="json"))
    )


def _mask(masked: str | None) -> str | None:
    return None if masked is None else "*" * (len(masked) - 4) + masked[-4:]


def _seal_batch(keys: dict[str, PersonKey], rows: Rows) -> None:
    """Rewrite a batch of households' events with their members' details sealed."""
    sealed: dict[str, str | None] = {}  # person → their details sealed, latest
    details: dict[str, Details] = {}  # person → their details, latest

    def seal(pid: str, new: Details) -> str | None:
        details[pid] = {**details.get(pid, {}), **new}
        key = keys.get(pid)  # none: erased, their details are dropped, not sealed
        sealed[pid] = None if key is None else key.seal(details[pid])
        return sealed[pid]

    def member(old: reg.Member) -> reg.SealedMember:
        entered = {
            "name": old.name,
            "sex": old.sex,
            "birth_date": old.birth_date,
            "health": old.health,
            "id_number_masked": _mask(old.id_number_masked),
        }
        blob = seal(str(old.person_id), entered)
        return reg.SealedMember.from_v2(old).model_copy(update={"sealed": blob})

    for row in rows:
        new: EventData
        if row.type == reg.HouseholdRegisteredV2.TYPE:
            filed = reg.HouseholdRegisteredV2.model_validate(row.data)
            new = reg.HouseholdRegisteredV3.from_v2(filed, ANY_DAY).model_copy(
                update={"members": [member(m) for m in filed.members]}
            )
        elif row.type == reg.MemberAddedV1.TYPE:
            added = reg.MemberAddedV1.model_validate(row.data)
            new = reg.MemberAddedV2.from_v1(added, ANY_DAY).model_copy(
                update={"member": member(added.member)}
            )
        else:
            changed = reg.MemberUpdatedV1.model_validate(row.data)
            new = reg.MemberUpdatedV2.from_v1(changed, ANY_DAY)
            if changed.health is not None:
                blob = seal(str(changed.person_id), {"health": changed.health})
                new = new.model_copy(update={"sealed": blob})
        _rewrite(row.position, new)
    op.get_bind().execute(
        members.update()
        .where(members.c.person_id == sa.bindparam("pid"))
        .values(sealed=sa.bindparam("blob")),
        [{"pid": pid, "blob": blob} for pid, blob in sealed.items()],
    )


def upgrade() -> None:
    with op.batch_alter_table("household_members") as batch:
        batch.add_column(sa.Column("sealed", sa.Text))
    vault = _vault()
    for rows in _streams(OLD):
        _seal_batch(_keys(vault, rows), rows)
    with op.batch_alter_table("household_members") as batch:
        batch.drop_column("name")
        batch.drop_column("id_number_masked")
    with op.batch_alter_table("households") as batch:
        batch.drop_column("head_name")
        batch.drop_column("head_id_masked")


def _open_batch(keys: dict[str, PersonKey], rows: Rows) -> None:
    """Rewrite a batch of households' events as the older versions, details opened."""
    details: dict[str, Details] = {}

    def opened(pid: str, blob: str | None) -> Details:
        key = keys.get(pid)
        if key is not None and blob is not None:
            details[pid] = {**details.get(pid, {}), **key.open(blob)}
        return details.setdefault(pid, {})

    def member(new: reg.SealedMember) -> reg.Member:
        found = opened(str(new.person_id), new.sealed)
        return reg.Member(
            person_id=new.person_id,
            name=found.get("name") or ERASED,
            id_number_hash=new.id_number_hash,
            id_number_masked=found.get("id_number_masked"),
            relation=new.relation,
            sex=found.get("sex"),
            birth_date=found.get("birth_date"),
            education=new.education,
            schooling=new.schooling,
            health=found.get("health"),
            disabled=new.has_disability,
            labour_ability=new.labour_ability,
            medical_insurance=new.medical_insurance,
            pension_insurance=new.pension_insurance,
        )

    for row in rows:
        old: EventData
        if row.type == reg.HouseholdRegisteredV3.TYPE:
            filed = reg.HouseholdRegisteredV3.model_validate(row.data)
            fields = filed.model_dump(exclude={"members"})
            old = reg.HouseholdRegisteredV2(**fields, members=[member(m) for m in filed.members])
        elif row.type == reg.MemberAddedV2.TYPE:
            added = reg.MemberAddedV2.model_validate(row.data)
            fields = added.model_dump(exclude={"member"})
            old = reg.MemberAddedV1(**fields, member=member(added.member))
        else:
            changed = reg.MemberUpdatedV2.model_validate(row.data)
            fields = changed.model_dump(exclude={"sealed", "has_disability"})
            health = opened(str(changed.person_id), changed.sealed).get("health")
            old = reg.MemberUpdatedV1(
                **fields,
                disabled=changed.has_disability,
                health=health if changed.sealed is not None else None,
            )
        _rewrite(row.position, old)
    op.get_bind().execute(
        members.update()
        .where(members.c.person_id == sa.bindparam("pid"))
        .values(name=sa.bindparam("n"), id_number_masked=sa.bindparam("m")),
        [
            {"pid": pid, "n": (d.get("name") or ERASED)[:50], "m": d.get("id_number_masked")}
            for pid, d in details.items()
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("household_members") as batch:
        batch.add_column(sa.Column("name", sa.String(50)))
        batch.add_column(sa.Column("id_number_masked", sa.String(18)))
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("head_name", sa.String(50)))
        batch.add_column(sa.Column("head_id_masked", sa.String(18)))
    vault, conn = _vault(), op.get_bind()
    for rows in _streams(NEW):
        _open_batch(_keys(vault, rows), rows)
    head = (
        sa.select(members.c.name)
        .where(members.c.household_id == heads.c.household_id, members.c.relation == "head")
        .scalar_subquery()
    )
    head_mask = (
        sa.select(members.c.id_number_masked)
        .where(members.c.household_id == heads.c.household_id, members.c.relation == "head")
        .scalar_subquery()
    )
    conn.execute(heads.update().values(head_name=head, head_id_masked=head_mask))
    conn.execute(members.update().where(members.c.name.is_(None)).values(name=ERASED))
    conn.execute(heads.update().where(heads.c.head_name.is_(None)).values(head_name=ERASED))
    with op.batch_alter_table("household_members") as batch:
        batch.drop_column("sealed")
        batch.alter_column("name", existing_type=sa.String(50), nullable=False)
    with op.batch_alter_table("households") as batch:
        batch.alter_column("head_name", existing_type=sa.String(50), nullable=False)
