"""Evaluation: education assistance for poor students (教育扶贫, seed 四.9(1)) — 中职
grants and fee waivers per student and academic year, fed by ``evaluation.reach`` from
training's ``training.education_assistance.recorded.v1``.

The events are new with this release: upgrade evaluation before training starts recording
them (consumers first), or replay with ``tuopin evaluation rebuild evaluation.reach``.

Revision ID: eaid1
Revises: ef001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "eaid1"
down_revision = "ef001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "education_assistance",
        sa.Column("assistance_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("id_number_hash", sa.String(128), nullable=False),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("academic_year", sa.Integer, nullable=False),
        sa.Column("level", sa.String(30), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("school", sa.String(200), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("education_assistance")
