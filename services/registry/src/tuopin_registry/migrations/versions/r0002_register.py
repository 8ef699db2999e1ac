"""Registry read models (households, members, villages) and the people vault.

Revision ID: r0002
Revises: r0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "r0002"
down_revision = "r0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("file_number", sa.String(40), nullable=False, unique=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("status_since", sa.Date, nullable=False),
        sa.Column("poverty_attribute", sa.String(30), nullable=False),
        sa.Column("primary_cause", sa.String(30), nullable=False),
        sa.Column("causes", sa.String(300), nullable=False),
        sa.Column("head_name", sa.String(50), nullable=False),
        sa.Column("head_id_masked", sa.String(18)),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("identified_year", sa.Integer, nullable=False),
        sa.Column("cadre_name", sa.String(50)),
        sa.Column("cadre_unit", sa.String(200)),
        sa.Column("notice_from", sa.Date),
        sa.Column("notice_until", sa.Date),
        sa.Column("income_year", sa.Integer),
        sa.Column("income_per_head", sa.Integer),
        sa.Column("housing_safe", sa.Boolean),
        sa.Column("drinking_water_safe", sa.Boolean),
        sa.Column("relocating", sa.Boolean, nullable=False),
        sa.Column("cooperative", sa.String(200)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "household_members",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("id_number_hash", sa.String(64)),
        sa.Column("id_number_masked", sa.String(18)),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index(
        "uq_active_member_identity",
        "household_members",
        ["id_number_hash"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("id_number", sa.String(18), nullable=False),
    )
    op.create_table(
        "villages",
        sa.Column("village_code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("poor", sa.Boolean, nullable=False),
        sa.Column("rural_population", sa.Integer, nullable=False),
        sa.Column("hardship_belt", sa.String(100), index=True),
        sa.Column("first_secretary", sa.String(50)),
        sa.Column("work_team", sa.JSON),
        sa.Column("responsible_unit", sa.String(200)),
        sa.Column("cooperatives", sa.Integer, nullable=False),
        sa.Column("mutual_aid_fund", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("villages")
    op.drop_table("people")
    op.drop_index("uq_active_member_identity", "household_members")
    op.drop_table("household_members")
    op.drop_table("households")
