"""The training service's read model of its own events (an inline projection, updated in
the appending transaction): centres, programmes, enrolments, certificates, academic
certificates and placements, for the rules that look across streams (seats, overlapping
enrolments) and for verification, coverage and the yearly counts."""

from collections.abc import Sequence
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events import training as tr
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.security.identity import mask_id
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection, update_each

metadata = MetaData()


def _whose() -> list[Column[Any]]:
    """Whom an enrolment or a certificate is about: their household and its village, and
    their ID number (keyed hash, masked)."""
    return [
        columns.household_id(nullable=False, index=True),
        columns.village_code(nullable=False),
        Column("id_number_hash", String(128), nullable=False, index=True),
        Column("id_number_masked", String(18), nullable=False),
    ]


centres = Table(
    "centres",
    metadata,
    Column("centre_id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    columns.county_code(nullable=False, index=True),
    Column("valid_from", Date, nullable=False),  # of the latest term
    Column("valid_until", Date, nullable=False),
    Column("occupations", JSON, nullable=False),
    Column("withdrawn_on", Date),
    Column("withdrawal_reason", String(500)),
)

programmes = Table(
    "programmes",
    metadata,
    Column("programme_id", String(36), primary_key=True),
    Column("centre_id", String(36), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("labour_brand", String(40)),
    Column("occupation", String(12), nullable=False),
    Column("level", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("free_for_poor_labour", Boolean, nullable=False),
    Column("fee_fen", BigInteger, nullable=False),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("enrolment_id", String(36), primary_key=True),
    Column("centre_id", String(36), nullable=False),
    Column("enrolment_ref", String(200), nullable=False),
    Column("programme_id", String(36), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    *_whose(),
    Column("enrolled_on", Date, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("finished_on", Date),  # completed or left
    Column("drop_out_reason", String(40)),
    Column("sessions_held", Integer, nullable=False),
    Column("sessions_attended", Integer, nullable=False),
)

certificates = Table(
    "certificates",
    metadata,
    Column("certificate_id", String(36), primary_key=True),
    Column("centre_id", String(36), nullable=False),
    Column("number", String(200), nullable=False),
    *_whose(),
    Column("occupation", String(12), nullable=False),
    Column("occupation_name", String(200), nullable=False),
    Column("level", Integer, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("valid_until", Date),
    Column("basis", String(20), nullable=False),
    Column("revoked_on", Date),
    Column("revocation_reason", String(500)),
    Column("issued_at", DateTime(timezone=True)),  # recording instants, for known_at
    Column("revoked_at", DateTime(timezone=True)),
    UniqueConstraint("centre_id", "number", name="uq_certificates_issuer_number"),
)

academic_certificates = Table(
    "academic_certificates",
    metadata,
    Column("academic_id", String(36), primary_key=True),
    Column("centre_id", String(36), nullable=False),
    Column("number", String(200), nullable=False),
    columns.household_id(nullable=False),
    Column("id_number_hash", String(128), nullable=False, index=True),
    Column("school", String(200), nullable=False),
    Column("speciality", String(200), nullable=False),
    Column("education", String(20), nullable=False),
    Column("graduated_on", Date, nullable=False),
)

placements = Table(
    "placements",
    metadata,
    Column("placement_id", String(36), primary_key=True),
    Column("centre_id", String(36), nullable=False),
    columns.household_id(nullable=False),
    columns.village_code(nullable=False),
    Column("id_number_hash", String(128), nullable=False),
    Column("employer", String(200), nullable=False),
    Column("place", String(200), nullable=False),
    Column("outside_province", Boolean, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("months_worked", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True)),  # the recording instant, for known_at
)

projection = Projection(
    "training.records",
    tables=[centres, programmes, enrolments, certificates, academic_certificates, placements],
)


def _columns(table: Table, data: EventData) -> dict[str, object]:
    """The event's fields that are columns of ``table``, ids as text; a masked number
    as masked today (events recorded before keep the region digits: SECURITY.md)."""
    values = data.model_dump()
    if values.get("id_number_masked"):
        values["id_number_masked"] = mask_id(values["id_number_masked"])
    return {
        c: (str(v) if isinstance(v, UUID | StrEnum) else v)
        for c, v in values.items()
        if c in table.c
    }


@projection.on(tr.CentreAccreditedV1)
async def accredited(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            **_columns(centres, e.data),
            "withdrawn_on": None,
            "withdrawal_reason": None,
            "occupations": [o.model_dump() for o in e.data.occupations],
        }
        for e in events
    ]
    update_ = [c for c in rows[0] if c != "centre_id"]
    await upsert(conn, centres, rows, keys=["centre_id"], update=update_)


@projection.on(tr.AccreditationWithdrawnV1)
async def withdrawn(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await update_each(
        conn,
        centres,
        events,
        lambda d, _: {"withdrawn_on": d.withdrawn_on, "withdrawal_reason": d.reason},
    )


@projection.on(tr.ProgrammeOpenedV1)
async def opened(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await conn.execute(programmes.insert(), [_columns(programmes, e.data) for e in events])


@projection.on(tr.EnrolledV1)
async def enrolled(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            **_columns(enrolments, e.data),
            "stage": "enrolled",
            "sessions_held": 0,
            "sessions_attended": 0,
        }
        for e in events
    ]
    await conn.execute(enrolments.insert(), rows)


@projection.on(tr.AttendanceRecordedV1)
async def attended(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    held, attended = enrolments.c.sessions_held, enrolments.c.sessions_attended
    await update_each(
        conn,
        enrolments,
        events,
        lambda d, _: {
            "sessions_held": held + d.sessions_held,
            "sessions_attended": attended + d.sessions_attended,
        },
    )


@projection.on(tr.CompletedV1)
async def completed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await update_each(
        conn, enrolments, events, lambda d, _: {"stage": "completed", "finished_on": d.completed_on}
    )


@projection.on(tr.DroppedOutV1)
async def dropped_out(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await update_each(
        conn,
        enrolments,
        events,
        lambda d, _: {
            "stage": "dropped_out",
            "finished_on": d.left_on,
            "drop_out_reason": d.reason,
        },
    )


@projection.on(tr.CertificateIssuedV1)
async def issued(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [{**_columns(certificates, e.data), "issued_at": e.envelope.time} for e in events]
    await conn.execute(certificates.insert(), rows)


@projection.on(tr.CertificateRevokedV1)
async def revoked(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await update_each(
        conn,
        certificates,
        events,
        lambda d, time: {
            "revoked_on": d.revoked_on,
            "revocation_reason": d.reason,
            "revoked_at": time,
        },
    )


@projection.on(tr.AcademicCertificateRecordedV1)
async def academic(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [_columns(academic_certificates, e.data) for e in events]
    await conn.execute(academic_certificates.insert(), rows)


@projection.on(tr.PlacementRecordedV1)
async def placed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [{**_columns(placements, e.data), "recorded_at": e.envelope.time} for e in events]
    await conn.execute(placements.insert(), rows)
