"""The append lock becomes a row: ``events_head`` holds the last position handed out.

Appending updates it (``position = position + n``), which locks the row until commit —
the same serialisation the advisory lock gave — and yields the new positions in the
same statement, so an append is one statement (see store.py).

Revision ID: af01
Revises: k0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "af01"
down_revision = "k0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    )
    op.execute(
        "INSERT INTO events_head (id, position) SELECT 1, coalesce(max(position), 0) FROM events"
    )


def downgrade() -> None:
    op.drop_table("events_head")
