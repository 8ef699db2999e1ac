"""Loans: the loan book keeps each loan's row after every posting, with the posting's
business date and recording instant, and claims and subsidy statements keep when they were
recorded — so the portfolio answers as of a business day and as known at an instant.

The history is written from now on; for loans posted before this revision, rebuild the
loan book from the event store once (``tuopin loans rebuild loans.loan_book``), which fills
it and the recording instants.

Revision ID: l0006
Revises: l0005
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "l0006"
down_revision = "l0005"
branch_labels = None
depends_on = None

INSTANTS = {"fund_claims": ("lodged_at", "paid_at"), "subsidy_statements": ("issued_at", "paid_at")}


def upgrade() -> None:
    fen = sa.BigInteger
    op.create_table(
        "loan_book_history",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("on", sa.Date, nullable=False, index=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bank_id", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("disbursed", fen, nullable=False),
        sa.Column("outstanding", fen, nullable=False),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("written_off", fen, nullable=False),
        sa.Column("premium_subsidy", fen, nullable=False),
    )
    for table, columns in INSTANTS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(column, sa.DateTime(timezone=True)))


def downgrade() -> None:
    for table, columns in INSTANTS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
    op.drop_table("loan_book_history")
