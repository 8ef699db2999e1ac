"""Evaluation: the counties' work list of return warnings (返贫预警) — each warning with
its raise, acknowledgement and closure, each step's business date and recording instant.

An inline read model of evaluation's own events: warnings raised before this revision
appear after ``tuopin evaluation rebuild evaluation.return_warnings``, which replays the
event store into it.

Revision ID: ef001
Revises: ee001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "ef001"
down_revision = "ee001"
branch_labels = None
depends_on = None


def _instant(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "return_warnings",
        sa.Column("warning_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        _instant("raised_recorded_at", nullable=False),
        sa.Column("acknowledged_on", sa.Date),
        sa.Column("cadre_name", sa.String(50)),
        sa.Column("cadre_unit", sa.String(200)),
        sa.Column("measures", sa.JSON),
        _instant("acknowledged_recorded_at"),
        sa.Column("closed_on", sa.Date),
        sa.Column("outcome", sa.String(20)),
        sa.Column("closure_reason", sa.String),
        _instant("closed_recorded_at"),
    )
    op.create_index("ix_return_warnings_household_id", "return_warnings", ["household_id"])


def downgrade() -> None:
    op.drop_index("ix_return_warnings_household_id", table_name="return_warnings")
    op.drop_table("return_warnings")
