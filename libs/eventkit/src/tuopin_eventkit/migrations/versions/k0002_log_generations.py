"""Log generations: relay checkpoints and consumer offsets say which log they count in.

Revision ID: k0002
Revises: k0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "k0002"
down_revision = "k0001"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("relay_checkpoints") as table:
        table.add_column(sa.Column("generation", sa.String(128)))
        table.add_column(sa.Column("anchors", Json))
    with op.batch_alter_table("consumer_offsets") as table:
        table.add_column(sa.Column("generation", sa.String(128)))
        table.add_column(sa.Column("anchor", sa.String(64)))
        table.add_column(sa.Column("position", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("consumer_offsets") as table:
        table.drop_column("position")
        table.drop_column("anchor")
        table.drop_column("generation")
    with op.batch_alter_table("relay_checkpoints") as table:
        table.drop_column("anchors")
        table.drop_column("generation")
