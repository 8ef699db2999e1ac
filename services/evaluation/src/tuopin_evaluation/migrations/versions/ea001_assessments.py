"""Evaluation: an index of third-party assessments (第三方评估) by county and year.

Revision ID: ea001
Revises: e0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ea001"
down_revision = "e0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_frames",
        sa.Column("assessment_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_assessment_frames_county_year", "assessment_frames", ["county_code", "year"]
    )


def downgrade() -> None:
    op.drop_index("ix_assessment_frames_county_year", table_name="assessment_frames")
    op.drop_table("assessment_frames")
