"""Bulk imports of existing 建档立卡 records: one row per import, with its error report.

Revision ID: r0003
Revises: r0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "r0003"
down_revision = "r0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("idempotency_key", sa.String(255), unique=True),
        sa.Column("actor", sa.String(128)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("households_filed", sa.Integer, nullable=False),
        sa.Column("households_already_filed", sa.Integer, nullable=False),
        sa.Column("households_rejected", sa.Integer, nullable=False),
        sa.Column("people_filed", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("errors_csv", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("imports")
