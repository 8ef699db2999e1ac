"""Members' birth date becomes birth year and month: the registry's events no longer
carry the day (a birth date is personal data); age rules count from the 1st of the month.

Revision ID: e0005
Revises: e0004
Create Date: 2026-12-06
"""

from tuopin_eventkit.migrate import birth_date_to_month, birth_month_to_date

revision = "e0005"
down_revision = "e0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    birth_date_to_month("members")


def downgrade() -> None:
    birth_month_to_date("members")
