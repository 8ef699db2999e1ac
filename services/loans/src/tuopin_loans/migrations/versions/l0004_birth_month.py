"""Borrowers' birth date becomes birth year and month: the registry's events no longer
carry the day (a birth date is personal data); age rules count from the 1st of the month.
Stored masked numbers keep only their last four characters (not undone).

Revision ID: l0004
Revises: l0003
Create Date: 2026-12-06
"""

from tuopin_eventkit.migrate import birth_date_to_month, birth_month_to_date, remask

revision = "l0004"
down_revision = "l0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    birth_date_to_month("borrower_members")
    remask("loan_book", "borrower_masked")


def downgrade() -> None:
    birth_month_to_date("borrower_members")
