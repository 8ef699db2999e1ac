"""Evaluation: the village conditions the registry records (the county's assessment of
roads, water, power, broadband, clinic, schooling, culture, industry, collective income,
housing), each with its effective date, recording instant and source, so village exit is
judged on them. A new event type: nothing earlier to replay.

Revision ID: ed001
Revises: ec001
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "ed001"
down_revision = "ec001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "village_conditions",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("condition", sa.String(40), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("village_conditions")
