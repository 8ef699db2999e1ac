"""Evaluation: the recording instant beside the business date on the household facts —
each status, each village standing, each member's joining and leaving, and every income
recorded (corrections kept) — and on what the programmes reached (disbursements,
certificates issued and revoked, completed trainings), so figures can be counted "as
known at" an instant.

The instants are the producers' envelopes' ``time``, which evaluation did not keep: both
projections' read models are emptied and their checkpoints and dedupe records forgotten,
so they replay their topics from offset zero on the next start (or ``tuopin evaluation
rebuild``). Verdicts already recorded are not judged again on the replay. Emptied first,
the tables take the new columns NOT NULL.

Revision ID: ec001
Revises: eb001
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "ec001"
down_revision = "eb001"
branch_labels = None
depends_on = None

PROJECTIONS = {
    "evaluation.households": (
        "incomes",
        "members",
        "households",
        "status_history",
        "villages",
        "village_standing",
    ),
    "evaluation.reach": ("disbursements", "certificates", "completions"),
}


def _instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _replay_from_zero()
    with op.batch_alter_table("status_history") as table:
        table.add_column(_instant("recorded_at"))
    with op.batch_alter_table("village_standing") as table:
        table.add_column(_instant("recorded_at"))
    with op.batch_alter_table("members") as table:
        table.add_column(_instant("joined_recorded_at"))
        table.add_column(_instant("left_recorded_at", nullable=True))
    for name in ("disbursements", "completions"):
        with op.batch_alter_table(name) as batch:
            batch.add_column(_instant("recorded_at"))
    with op.batch_alter_table("certificates") as table:
        table.add_column(_instant("issued_recorded_at", nullable=True))
        table.add_column(_instant("revoked_recorded_at", nullable=True))
    op.create_table(
        "income_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("per_head", sa.BigInteger, nullable=False),
        _instant("recorded_at"),
    )


def downgrade() -> None:
    # Without the instants the read model is still whole: nothing to replay.
    op.drop_table("income_history")
    with op.batch_alter_table("certificates") as table:
        table.drop_column("revoked_recorded_at")
        table.drop_column("issued_recorded_at")
    for name in ("completions", "disbursements"):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("recorded_at")
    with op.batch_alter_table("members") as table:
        table.drop_column("left_recorded_at")
        table.drop_column("joined_recorded_at")
    with op.batch_alter_table("village_standing") as table:
        table.drop_column("recorded_at")
    with op.batch_alter_table("status_history") as table:
        table.drop_column("recorded_at")


def _replay_from_zero() -> None:
    for projection, tables in PROJECTIONS.items():
        for table in tables:
            op.execute(sa.text(f"DELETE FROM {table}"))
        for table in ("processed_events", "consumer_offsets"):
            op.execute(
                sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=projection)
            )
