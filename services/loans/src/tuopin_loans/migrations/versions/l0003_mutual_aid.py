"""Loans: village mutual-aid funds (村级互助资金) — the funds' ledger, and the borrowers'
read model learns each household's village (a fund lends only to its own village).

The borrowers' read model is replayed from zero to fill the village: its tables are
emptied and its checkpoint and dedupe records dropped, so the consumer reads the
registry's topic again.

Revision ID: l0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "l0003"
down_revision = "l0002"
branch_labels = None
depends_on = None

PROJECTION = "loans.borrower_households"


def _replay_borrowers(village: bool) -> None:
    """Rebuild the households' table with or without the village, and empty the rest of
    that read model so the registry's topic replays into it."""
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("relocating", sa.Boolean, nullable=False),
    ]
    if village:
        columns.append(sa.Column("village_code", sa.String(12), nullable=False, index=True))
    op.drop_table("borrower_households")
    op.create_table("borrower_households", *columns)
    for table in ("borrower_status_history", "borrower_members"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )


def upgrade() -> None:
    _replay_borrowers(village=True)
    fen = sa.BigInteger
    op.create_table(
        "mutual_aid_funds",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("balance", fen, nullable=False),
        sa.Column("contributed", fen, nullable=False),
        sa.Column("lent", fen, nullable=False),
        sa.Column("repaid", fen, nullable=False),
        sa.Column("fees", fen, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
    )
    op.create_table(
        "mutual_aid_contributions",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("source", sa.String(16), primary_key=True),
        sa.Column("amount", fen, nullable=False),
    )
    op.create_table(
        "mutual_aid_loans",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("amount", fen, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("fee_rate", sa.String(12), nullable=False),
        sa.Column("lent_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("outstanding", fen, nullable=False),
        sa.Column("fees_paid", fen, nullable=False),
    )


def downgrade() -> None:
    for table in ("mutual_aid_loans", "mutual_aid_contributions", "mutual_aid_funds"):
        op.drop_table(table)
    _replay_borrowers(village=False)
