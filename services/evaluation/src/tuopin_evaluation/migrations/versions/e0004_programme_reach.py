"""Evaluation: what the loans and training programmes reached — disbursements, vocational
certificates and completed trainings, fed by the ``evaluation.reach`` projection.

A new projection has no checkpoint, so it reads both topics from offset zero on the next
start. Going down forgets its checkpoint and dedupe records with its tables: coming back
up must replay from zero, not resume past events it no longer holds.

Revision ID: e0004
Revises: ea001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "e0004"
down_revision = "ea001"
branch_labels = None
depends_on = None

PROJECTION = "evaluation.reach"


def upgrade() -> None:
    op.create_table(
        "disbursements",
        sa.Column("loan_id", sa.String(36), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("product", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("disbursed_on", sa.Date, nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("id_number_hash", sa.String(128), nullable=False),
        sa.Column("issued_on", sa.Date),
        sa.Column("valid_until", sa.Date),
        sa.Column("revoked_on", sa.Date),
    )
    op.create_table(
        "completions",
        sa.Column("enrolment_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("id_number_hash", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("completed_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in ("completions", "certificates", "disbursements"):
        op.drop_table(table)
    for table in ("processed_events", "consumer_offsets"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE consumer = :name").bindparams(name=PROJECTION)
        )
