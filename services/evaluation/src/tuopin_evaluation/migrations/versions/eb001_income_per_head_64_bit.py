"""Evaluation: a household's income per head in a 64-bit column. The registry records
incomes up to 10^12 fen per component (``tuopin_contracts.bounds.Fen``); in a 32-bit column
PostgreSQL refused anything above 21 million yuan, and the event went to the dead letters.
SQLite's integers were always 64-bit; batch mode rebuilds its table to the new declared
type all the same.

Revision ID: eb001
Revises: e0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "eb001"
down_revision = "e0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incomes") as table:
        table.alter_column(
            "per_head", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incomes") as table:
        table.alter_column(
            "per_head", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False
        )
