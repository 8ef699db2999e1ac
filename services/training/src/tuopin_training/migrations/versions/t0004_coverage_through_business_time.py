"""Training: coverage answers as of a business day and as known at an instant — households
keep their filing and removal dates with the instants training learnt them, certificates
the instants they were issued and revoked.

The households' read model replays from zero to fill the dates (its tables are emptied,
its checkpoint and dedupe records dropped: the registry's topic is read again). The
certificates' instants are filled by rebuilding the inline records once
(``tuopin training rebuild training.records``).

Revision ID: t0004
Revises: tb001
Create Date: 2026-12-08
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "t0004"
down_revision = "tb001"
branch_labels = None
depends_on = None

PROJECTION = "training.trainee_households"
COLUMNS: dict[str, dict[str, Any]] = {  # a type or a type instance, as sa.Column takes
    "trainee_households": {
        "identified_on": sa.Date,
        "identified_at": sa.DateTime(timezone=True),
        "removed_on": sa.Date,
        "removed_at": sa.DateTime(timezone=True),
    },
    "certificates": {
        "issued_at": sa.DateTime(timezone=True),
        "revoked_at": sa.DateTime(timezone=True),
    },
}


def _replay_households() -> None:
    for table in ("trainee_members", "trainee_households"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )


def upgrade() -> None:
    _replay_households()
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, kind in columns.items():
                batch.add_column(sa.Column(name, kind))


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in columns:
                batch.drop_column(name)
