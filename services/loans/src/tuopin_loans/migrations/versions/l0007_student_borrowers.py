"""Loans: the loan book keeps each approval's borrower hash (the keyed hash of the resident
ID the bank posted), so the 8,000 yuan of a student loan is capped per student and
academic year across loans and banks (seed 9(1)), not per loan.

Loans approved before this revision get their hash from their approval event in the
store, here, so the cap counts them at once.

Revision ID: l0007
Revises: l0006
Create Date: 2026-12-15
"""

import sqlalchemy as sa
from alembic import op

revision = "l0007"
down_revision = "l0006"
branch_labels = None
depends_on = None

APPROVED = "loans.loan.approved.v1"


def upgrade() -> None:
    with op.batch_alter_table("loan_book") as batch:
        batch.add_column(sa.Column("borrower_hash", sa.String(64)))
        batch.create_index("ix_loan_book_borrower_hash", ["borrower_hash"])
    events = sa.table("events", sa.column("type", sa.String), sa.column("data", sa.JSON))
    book = sa.table("loan_book", sa.column("loan_id", sa.String), sa.column("borrower_hash"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(events.c.data).where(events.c.type == APPROVED))
    hashes = [{"loan": d["loan_id"], "hash": d["borrower_hash"]} for (d,) in rows]
    if hashes:
        bind.execute(
            book.update()
            .where(book.c.loan_id == sa.bindparam("loan"))
            .values(borrower_hash=sa.bindparam("hash")),
            hashes,
        )


def downgrade() -> None:
    with op.batch_alter_table("loan_book") as batch:
        batch.drop_index("ix_loan_book_borrower_hash")
        batch.drop_column("borrower_hash")
