"""Loans: the borrowers' read model keeps what can change through business time — every
status with the date it took effect and its place in the household's stream, relocation
marked and unmarked by date, members' joining and leaving dates — each change with its
recording instant, so an application is judged by the household on its decision date.

Old rows carry neither sequence nor recording instant, so the read model is replayed from
zero: its tables are rebuilt empty and its checkpoint and dedupe records dropped, and the
consumer reads the registry's topic again (or ``tuopin loans rebuild
loans.borrower_households``).

Revision ID: l0005
Revises: l0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "l0005"
down_revision = "l0004"
branch_labels = None
depends_on = None

PROJECTION = "loans.borrower_households"


def _forget_checkpoint() -> None:
    for table in ("borrower_members", "borrower_households"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )


def upgrade() -> None:
    _forget_checkpoint()
    with op.batch_alter_table("borrower_households") as batch:
        batch.drop_column("relocating")
    with op.batch_alter_table("borrower_members") as batch:
        batch.add_column(sa.Column("joined_on", sa.Date))
        batch.add_column(sa.Column("left_on", sa.Date))
    op.drop_table("borrower_status_history")
    op.create_table(
        "borrower_status_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "borrower_relocation_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("relocating", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    _forget_checkpoint()
    op.drop_table("borrower_relocation_history")
    op.drop_table("borrower_status_history")
    op.create_table(
        "borrower_status_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("effective_date", sa.Date, primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
    )
    with op.batch_alter_table("borrower_members") as batch:
        batch.drop_column("left_on")
        batch.drop_column("joined_on")
    with op.batch_alter_table("borrower_households") as batch:
        batch.add_column(
            sa.Column("relocating", sa.Boolean, nullable=False, server_default=sa.false())
        )
