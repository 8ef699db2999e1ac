"""Evaluation: each year's income keeps the members it was divided among, so the seed's
"扶贫对象人均可支配收入" is total income over total people, not a mean of households'
per-head figures (a household of one counted as much as one of six).

The households read model is emptied and its checkpoint and dedupe records forgotten, so
it replays the registry's topic from offset zero on the next start (or ``tuopin
evaluation rebuild evaluation.households``); emptied first, the column is NOT NULL.

Revision ID: ee001
Revises: ed001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "ee001"
down_revision = "ed001"
branch_labels = None
depends_on = None

PROJECTION = "evaluation.households"
TABLES = (
    "incomes",
    "income_history",
    "members",
    "households",
    "status_history",
    "villages",
    "village_standing",
)


def upgrade() -> None:
    for table in TABLES:
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )
    with op.batch_alter_table("incomes") as batch:
        batch.add_column(sa.Column("members", sa.Integer, nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("incomes") as table:
        table.drop_column("members")
