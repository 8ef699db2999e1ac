"""Evaluation: a covering index of the status history by status, for the roll-ups' exits
and returns (``_moves_by_village``): the exits and returns are read from the index alone,
and the "exit annulled" check finds the later assisting status in it, instead of walking
every status effective by the day through the date index and the table.

Revision ID: rd001
Revises: bt002, eaid1
Create Date: 2026-11-30
"""

from alembic import op

revision = "rd001"
down_revision = ("bt002", "eaid1")
branch_labels = None
depends_on = None

COLUMNS = ["status", "household_id", "sequence", "effective_date", "year", "recorded_at"]


def upgrade() -> None:
    op.create_index("ix_status_history_moves", "status_history", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_status_history_moves", table_name="status_history")
