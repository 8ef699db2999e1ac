"""Training: a programme's fee in a 64-bit column. Fees are taken up to 10^12 fen
(``tuopin_contracts.bounds.Fen``); a 32-bit column held 21 million yuan, and PostgreSQL
refused more with an error (a 500). SQLite's integers were always 64-bit; batch mode
rebuilds its table to the new declared type all the same.

Revision ID: tb001
Revises: t0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "tb001"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programmes") as table:
        table.alter_column(
            "fee_fen", type_=sa.BigInteger, existing_type=sa.Integer, existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("programmes") as table:
        table.alter_column(
            "fee_fen", type_=sa.Integer, existing_type=sa.BigInteger, existing_nullable=False
        )
