"""Training: placements keep the instant they were recorded, so the labour-transfer report
(劳务输转, ``GET /v1/labour-transfer``) answers ``known_at`` as coverage does.

Placements recorded before this revision have no instant (NULL): with ``known_at`` they
are not counted until the inline records are rebuilt once
(``tuopin training rebuild training.records``), which fills it from the store's ``time``.

Revision ID: tl001
Revises: t0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "tl001"
down_revision = "t0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("placements") as batch:
        batch.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("placements") as batch:
        batch.drop_column("recorded_at")
