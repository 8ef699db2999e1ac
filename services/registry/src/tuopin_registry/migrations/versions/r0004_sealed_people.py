"""People vault sealed: each clear resident ID number encrypted under a data key of the
person's own, wrapped under the master key (envelope encryption, crypto-shredding); the
record of unmasked reads; stored import error reports with ID numbers masked.

The master key is the one the environment configures (``TUOPIN_REGISTRY_PEOPLE_KEY``),
as for the service: run the migration with the key the service will run with. Existing
rows are sealed in place, in batches; the downgrade opens them again (an erased person's
number cannot be opened: their row goes, as it can no longer be clear). Masking stored
error reports is not undone.

Revision ID: r0004
Revises: r0003
Create Date: 2026-11-29
"""

from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from tuopin_registry.application.sealing import PeopleKey

revision = "r0004"
down_revision = "r0003"
branch_labels = None
depends_on = None

BATCH = 5_000
SEALED = ("id_number_sealed", "id_number_nonce", "data_key_wrapped", "data_key_nonce")


def _key() -> "PeopleKey":
    from tuopin_registry.config import RegistrySettings

    return RegistrySettings().people()


def _batches(columns: str, where: str) -> Iterator[Sequence[sa.Row[Any]]]:
    """Vault rows in person-id order, a batch at a time (keyset pagination)."""
    conn, last = op.get_bind(), ""
    while True:
        rows = conn.execute(
            sa.text(
                f"SELECT {columns} FROM people WHERE person_id > :last AND {where} "
                "ORDER BY person_id LIMIT :size"
            ),
            {"last": last, "size": BATCH},
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].person_id


def _people(*columns: str) -> sa.TableClause:
    return sa.table("people", *(sa.column(c) for c in ("person_id", *columns)))


def _by_person(table: sa.TableClause) -> sa.Update:
    return table.update().where(table.c.person_id == sa.bindparam("pid"))


def upgrade() -> None:
    # Sealed in place: columns added, every row sealed, the clear column dropped.
    with op.batch_alter_table("people") as batch:
        for name in SEALED:
            batch.add_column(sa.Column(name, sa.LargeBinary))
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True)))
    key, people = _key(), _people(*SEALED)
    for rows in _batches("person_id, id_number", "id_number_sealed IS NULL"):
        sealed = [{"pid": r.person_id, **asdict(key.seal(r.person_id, r.id_number))} for r in rows]
        op.get_bind().execute(_by_person(people), sealed)
    with op.batch_alter_table("people") as batch:
        batch.drop_column("id_number")
        batch.alter_column("id_number_sealed", existing_type=sa.LargeBinary, nullable=False)
        batch.alter_column("id_number_nonce", existing_type=sa.LargeBinary, nullable=False)

    op.create_table(
        "identity_reads",
        sa.Column("read_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(64)),
    )
    _mask_stored_error_reports()


def _mask_stored_error_reports() -> None:
    """Reports stored before imports masked a number found in a wrong column."""
    from tuopin_registry.application.bulk.report import masked_identities

    conn = op.get_bind()
    imports = sa.table("imports", sa.column("import_id"), sa.column("errors_csv"))
    for row in conn.execute(sa.select(imports.c.import_id, imports.c.errors_csv)).all():
        masked = masked_identities(row.errors_csv)
        if masked != row.errors_csv:
            conn.execute(
                imports.update()
                .where(imports.c.import_id == row.import_id)
                .values(errors_csv=masked)
            )


def downgrade() -> None:
    from tuopin_registry.application.sealing import Sealed

    op.drop_index("ix_identity_reads_person_id", "identity_reads")
    op.drop_table("identity_reads")
    # An erased person's number cannot be opened, so it cannot be clear either: their
    # row goes (the older schema has no place for "erased").
    op.execute("DELETE FROM people WHERE data_key_wrapped IS NULL")
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("id_number", sa.String(18)))
    key, people = _key(), _people("id_number")
    for rows in _batches(", ".join(("person_id", *SEALED)), "id_number IS NULL"):
        clear = [
            {
                "pid": r.person_id,
                "id_number": key.open(r.person_id, Sealed(*(getattr(r, c) for c in SEALED))),
            }
            for r in rows
        ]
        op.get_bind().execute(_by_person(people), clear)
    with op.batch_alter_table("people") as batch:
        for name in (*SEALED, "erased_at"):
            batch.drop_column(name)
        batch.alter_column("id_number", existing_type=sa.String(18), nullable=False)
