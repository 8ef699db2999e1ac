"""Loans: the borrowers' read model grows (status history, members, relocation) and the
loan book (loans, principal movements, funds, claims, quotas, subsidy statements).

The borrowers' read model is replayed from zero: its table is rebuilt and its checkpoint
and dedupe records dropped, so the consumer reads the registry's topic again.

Revision ID: l0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "l0002"
down_revision = "l0001"
branch_labels = None
depends_on = None

PROJECTION = "loans.borrower_households"


def upgrade() -> None:
    op.drop_table("borrower_households")
    op.create_table(
        "borrower_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("relocating", sa.Boolean, nullable=False),
    )
    op.create_table(
        "borrower_status_history",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("effective_date", sa.Date, primary_key=True),
        sa.Column("status", sa.String(16), primary_key=True),
    )
    op.create_table(
        "borrower_members",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("id_hash", sa.String(64), index=True),
        sa.Column("birth_date", sa.Date),
        sa.Column("schooling", sa.String(24)),
    )
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )
    fen = sa.BigInteger
    op.create_table(
        "loan_book",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("bank_id", sa.String(40), nullable=False, index=True),
        sa.Column("loan_ref", sa.String(60), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("borrower_masked", sa.String(24)),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("amount", fen, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("annual_rate", sa.String(12)),
        sa.Column("signed_on", sa.Date),
        sa.Column("maturity_date", sa.Date),
        sa.Column("subsidy_until", sa.Date),
        sa.Column("disbursed", fen, nullable=False),
        sa.Column("outstanding", fen, nullable=False),
        sa.Column("interest_received", fen, nullable=False),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("defaulted_on", sa.Date),
        sa.Column("written_off", fen, nullable=False),
        sa.Column("premium_subsidy", fen, nullable=False),
        sa.UniqueConstraint("bank_id", "loan_ref"),
    )
    op.create_table(
        "principal_movements",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("delta", fen, nullable=False),
    )
    op.create_table(
        "fund_accounts",
        sa.Column("fund_id", sa.String(20), primary_key=True),
        sa.Column("balance", fen, nullable=False),
        sa.Column("contributed", fen, nullable=False),
        sa.Column("claimed", fen, nullable=False),
        sa.Column("paid", fen, nullable=False),
        sa.Column("returned", fen, nullable=False),
    )
    op.create_table(
        "fund_claims",
        sa.Column("claim_id", sa.String(36), primary_key=True),
        sa.Column("fund_id", sa.String(20), nullable=False, index=True),
        sa.Column("county_code", sa.String(6), index=True),
        sa.Column("loan_id", sa.String(36), nullable=False, unique=True),
        sa.Column("bank_id", sa.String(40), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("claimed", fen, nullable=False),
        sa.Column("lodged_on", sa.Date, nullable=False),
        sa.Column("paid_on", sa.Date),
    )
    op.create_table(
        "county_quotas",
        sa.Column("county_code", sa.String(6), primary_key=True),
        sa.Column("amount", fen, nullable=False),
    )
    op.create_table(
        "subsidy_statements",
        sa.Column("statement_id", sa.String(36), primary_key=True),
        sa.Column("quarter", sa.String(6), nullable=False, index=True),
        sa.Column("bank_id", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("loans", sa.Integer, nullable=False),
        sa.Column("amount", fen, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("paid_on", sa.Date),
        sa.UniqueConstraint("quarter", "bank_id", "county_code"),
    )


def downgrade() -> None:
    for table in (
        "subsidy_statements",
        "county_quotas",
        "fund_claims",
        "fund_accounts",
        "principal_movements",
        "loan_book",
        "borrower_members",
        "borrower_status_history",
        "borrower_households",
    ):
        op.drop_table(table)
    op.create_table(
        "borrower_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("poverty_status", sa.String(16), nullable=False),
        sa.Column("status_since", sa.Date, nullable=False),
    )
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )
