"""Registry: a household's income per head in a 64-bit column. Incomes are taken up to
10^12 fen per component (``tuopin_contracts.bounds.Fen``); a 32-bit column held 21 million
yuan, and PostgreSQL refused more with an error (a 500). SQLite's integers were always
64-bit; batch mode rebuilds its table to the new declared type all the same.

Revision ID: rb001
Revises: r0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "rb001"
down_revision = "r0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as table:
        table.alter_column("income_per_head", type_=sa.BigInteger, existing_type=sa.Integer)


def downgrade() -> None:
    with op.batch_alter_table("households") as table:
        table.alter_column("income_per_head", type_=sa.Integer, existing_type=sa.BigInteger)
