"""Registry: villages carry the code of their special-hardship belt (特困片带) beside its
name. Villages registered before keep their free-text name and no code (legacy); the
index is kept in the appending transaction, so nothing needs rebuilding.

Revision ID: bt001
Revises: rb001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "bt001"
down_revision = "rb001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("villages") as table:
        table.add_column(sa.Column("hardship_belt_code", sa.String(20)))
        table.create_index("ix_villages_hardship_belt_code", ["hardship_belt_code"])


def downgrade() -> None:
    with op.batch_alter_table("villages") as table:
        table.drop_index("ix_villages_hardship_belt_code")
        table.drop_column("hardship_belt_code")
