"""Trainees' birth date becomes birth year and month, and their masked number goes: the
registry's events carry neither the birth day nor a mask any more (personal data; age
rules count from the 1st of the month). Stored masked numbers of enrolments and
certificates keep only their last four characters (not undone).

Revision ID: t0003
Revises: t0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from tuopin_eventkit.migrate import birth_date_to_month, birth_month_to_date, remask

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    birth_date_to_month("trainee_members")
    with op.batch_alter_table("trainee_members") as batch:
        batch.drop_column("id_number_masked")
    remask("enrolments", "id_number_masked")
    remask("certificates", "id_number_masked")


def downgrade() -> None:
    with op.batch_alter_table("trainee_members") as batch:
        batch.add_column(sa.Column("id_number_masked", sa.String(18)))
    birth_month_to_date("trainee_members")
