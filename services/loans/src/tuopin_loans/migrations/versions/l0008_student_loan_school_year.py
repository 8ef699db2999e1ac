"""Loans: a student loan names the school year (学年) it pays for, and the 8,000-yuan cap
per student and year (seed 9(1)) counts by it, not by the decision date (an approval in
August is for the year starting in September).

Student loans approved before this revision get the school year their decision date falls
in, which is how the cap counted them.

Revision ID: l0008
Revises: l0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "l0008"
down_revision = "l0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("loan_book") as batch:
        batch.add_column(sa.Column("academic_year", sa.Integer))
    book = sa.table(
        "loan_book",
        sa.column("product", sa.String),
        sa.column("decided_on", sa.Date),
        sa.column("academic_year", sa.Integer),
    )
    year = sa.extract("year", book.c.decided_on)
    starts = sa.case((sa.extract("month", book.c.decided_on) >= 9, year), else_=year - 1)
    op.execute(book.update().where(book.c.product == "student").values(academic_year=starts))


def downgrade() -> None:
    with op.batch_alter_table("loan_book") as batch:
        batch.drop_column("academic_year")
