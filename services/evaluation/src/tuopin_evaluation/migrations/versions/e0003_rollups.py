"""Evaluation: what roll-ups need — villages and their standing (the incidence denominator),
each household's status history, and members' joining and leaving dates (as-of counts).

The households projection keeps its name but now reads events it used to skip (the
villages') and keeps history it did not: its read model is emptied and its checkpoint and
dedupe records forgotten, so it replays the registry's topic from offset zero on the next
start (or ``tuopin evaluation rebuild evaluation.households``). Verdicts already recorded
are not judged again on the replay.

Revision ID: e0003
Revises: e0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "e0003"
down_revision = "e0002"
branch_labels = None
depends_on = None

PROJECTION = "evaluation.households"


def upgrade() -> None:
    op.add_column("members", sa.Column("joined_on", sa.Date))
    op.add_column("members", sa.Column("left_on", sa.Date))
    op.create_table(
        "status_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False, index=True),
        sa.Column("year", sa.Integer, nullable=False),
    )
    op.create_table(
        "villages",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("township_code", sa.String(9), nullable=False, index=True),
        sa.Column("name", sa.String(100)),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("rural_population", sa.Integer, nullable=False),
        sa.Column("hardship_belt", sa.String(100)),
        sa.Column("cooperatives", sa.Integer),
        sa.Column("mutual_aid_fund", sa.BigInteger),
        sa.Column("registered_on", sa.Date),
    )
    op.create_table(
        "village_standing",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("rural_population", sa.Integer, nullable=False),
    )
    _replay_from_zero()


def downgrade() -> None:
    op.drop_table("village_standing")
    op.drop_table("villages")
    op.drop_table("status_history")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("left_on")
        batch.drop_column("joined_on")


def _replay_from_zero() -> None:
    for table in ("incomes", "members", "households"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )
