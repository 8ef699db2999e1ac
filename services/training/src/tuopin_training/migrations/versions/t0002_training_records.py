"""Training: the registry read model grows members and household status; the training
records (centres, programmes, enrolments, certificates, academic certificates, placements).

The registry read model is rebuilt from the topic: its table changes shape, so its rows,
dedupe records and checkpoint are dropped and the consumer replays from the beginning.

Revision ID: t0002
Revises: t0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None

CONSUMER = "training.trainee_households"


def _replay_registry_read_model() -> None:
    for table in ("processed_events", "consumer_offsets"):
        op.execute(sa.text(f"DELETE FROM {table} WHERE consumer = :c").bindparams(c=CONSUMER))


def upgrade() -> None:
    _replay_registry_read_model()
    op.drop_table("trainee_households")
    op.create_table(
        "trainee_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("file_number", sa.String(40), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_table(
        "trainee_members",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("id_number_hash", sa.String(128), index=True),
        sa.Column("id_number_masked", sa.String(18)),
        sa.Column("birth_date", sa.Date),
        sa.Column("labour_ability", sa.String(20)),
        sa.Column("member_since", sa.Date, nullable=False),
    )
    op.create_table(
        "centres",
        sa.Column("centre_id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("county_code", sa.String(6), nullable=False, index=True),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("occupations", sa.JSON, nullable=False),
        sa.Column("withdrawn_on", sa.Date),
        sa.Column("withdrawal_reason", sa.String(500)),
    )
    op.create_table(
        "programmes",
        sa.Column("programme_id", sa.String(36), primary_key=True),
        sa.Column("centre_id", sa.String(36), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("labour_brand", sa.String(40)),
        sa.Column("occupation", sa.String(12), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("free_for_poor_labour", sa.Boolean, nullable=False),
        sa.Column("fee_fen", sa.Integer, nullable=False),
    )
    op.create_table(
        "enrolments",
        sa.Column("enrolment_id", sa.String(36), primary_key=True),
        sa.Column("centre_id", sa.String(36), nullable=False),
        sa.Column("enrolment_ref", sa.String(200), nullable=False),
        sa.Column("programme_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("id_number_hash", sa.String(128), nullable=False, index=True),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("enrolled_on", sa.Date, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("finished_on", sa.Date),
        sa.Column("drop_out_reason", sa.String(40)),
        sa.Column("sessions_held", sa.Integer, nullable=False),
        sa.Column("sessions_attended", sa.Integer, nullable=False),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.String(36), primary_key=True),
        sa.Column("centre_id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False, index=True),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("id_number_hash", sa.String(128), nullable=False, index=True),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("occupation", sa.String(12), nullable=False),
        sa.Column("occupation_name", sa.String(200), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("revoked_on", sa.Date),
        sa.Column("revocation_reason", sa.String(500)),
        sa.UniqueConstraint("centre_id", "number", name="uq_certificates_issuer_number"),
    )
    op.create_table(
        "academic_certificates",
        sa.Column("academic_id", sa.String(36), primary_key=True),
        sa.Column("centre_id", sa.String(36), nullable=False),
        sa.Column("number", sa.String(200), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("id_number_hash", sa.String(128), nullable=False, index=True),
        sa.Column("school", sa.String(200), nullable=False),
        sa.Column("speciality", sa.String(200), nullable=False),
        sa.Column("education", sa.String(20), nullable=False),
        sa.Column("graduated_on", sa.Date, nullable=False),
    )
    op.create_table(
        "placements",
        sa.Column("placement_id", sa.String(36), primary_key=True),
        sa.Column("centre_id", sa.String(36), nullable=False),
        sa.Column("household_id", sa.String(36), nullable=False),
        sa.Column("village_code", sa.String(12), nullable=False),
        sa.Column("id_number_hash", sa.String(128), nullable=False),
        sa.Column("employer", sa.String(200), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("outside_province", sa.Boolean, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("months_worked", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "placements",
        "academic_certificates",
        "certificates",
        "enrolments",
        "programmes",
        "centres",
        "trainee_members",
        "trainee_households",
    ):
        op.drop_table(table)
    _replay_registry_read_model()
    op.create_table(
        "trainee_households",
        sa.Column("household_id", sa.String(36), primary_key=True),
        sa.Column("village_code", sa.String(12), nullable=False, index=True),
        sa.Column("members", sa.Integer, nullable=False),
    )
