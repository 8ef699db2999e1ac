"""Loans: local read model of registered poor households.

Revision ID: l0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "l0001"
down_revision = None
branch_labels = ("loans",)
depends_on = "k0001"


def upgrade() -> None:
    op.create_table(
        "borrower_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("poverty_status", sa.String(16), nullable=False),
        sa.Column("status_since", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("borrower_households")
