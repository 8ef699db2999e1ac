"""Evaluation: read model of registered households.

Revision ID: e0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "e0001"
down_revision = None
branch_labels = ("evaluation",)
depends_on = "k0001"


def upgrade() -> None:
    op.create_table(
        "registered_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("registered_households")
