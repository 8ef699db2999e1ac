"""Evaluation: household facts (members, incomes, conditions) replace the bare count table.

The new projection has a new name, so it replays the registry's topic from the start.

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "e0002"
down_revision = "e0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("registered_households")
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("housing_safe", sa.Boolean),
        sa.Column("drinking_water_safe", sa.Boolean),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("birth_date", sa.Date),
        sa.Column("schooling", sa.String(30)),
        sa.Column("medical_insurance", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "incomes",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("per_head", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("incomes")
    op.drop_table("members")
    op.drop_table("households")
    op.create_table(
        "registered_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
