"""Training: local read model of registered households.

Revision ID: t0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "t0001"
down_revision = None
branch_labels = ("training",)
depends_on = "k0001"


def upgrade() -> None:
    op.create_table(
        "trainee_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("members", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trainee_households")
