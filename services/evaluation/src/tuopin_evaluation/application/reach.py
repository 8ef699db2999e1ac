"""What the loans and training programmes reached, from their services' events: each loan
disbursement, each vocational certificate with its issue and revocation, each completed
training, each education assistance (教育扶贫, seed 四.9(1)) — one row per fact, keyed by
the fact's own id, so the roll-ups derive their counts (households reached by credit,
households with a certified member, people trained, students assisted) by querying,
never by keeping running totals.

Events of the two topics, and of different partitions, arrive in no particular order
against each other and against the registry's: nothing here depends on it. A revocation
may come before its certificate's issue — the certificate's row then waits, revoked and
not yet issued, and the issue fills in the rest without undoing the revocation. A loan or
certificate of a household evaluation has not heard of yet counts once the household's
registration arrives, as the roll-ups join on it when they count.

Each fact keeps the instant its producer recorded it (its envelope's ``time``), so the
roll-ups can count what the programmes had reached as known at an instant.
"""

from collections.abc import Sequence

from sqlalchemy import BigInteger, Column, Date, DateTime, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import loans as lo
from tuopin_contracts.events import training as tr
from tuopin_evaluation.application.facts import recorded
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection

metadata = MetaData()

# Every disbursement, by the loan's stream position: a loan disbursed in tranches has many.
disbursements = Table(
    "disbursements",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    columns.sequence(),
    columns.household_id(nullable=False, index=True),
    Column("product", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),  # fen
    Column("disbursed_on", Date, nullable=False),
    columns.recorded_at(),
)

# Vocational certificates: valid on a day when issued by then, not revoked by then and
# not expired. ``issued_on`` is empty while only the revocation has arrived.
certificates = Table(
    "certificates",
    metadata,
    Column("certificate_id", String(36), primary_key=True),
    columns.household_id(nullable=False, index=True),
    Column("id_number_hash", String(128), nullable=False),
    Column("issued_on", Date),
    Column("valid_until", Date),
    Column("revoked_on", Date),
    Column("issued_recorded_at", DateTime(timezone=True)),
    Column("revoked_recorded_at", DateTime(timezone=True)),
)

# Education assistance (教育扶贫, seed 四.9(1)): one row per student, academic year and
# kind — the 中职 grant, a tuition, book-fee or preschool care-fee waiver.
education_assistance = Table(
    "education_assistance",
    metadata,
    Column("assistance_id", String(36), primary_key=True),
    columns.household_id(nullable=False, index=True),
    Column("id_number_hash", String(128), nullable=False),
    Column("id_number_masked", String(18), nullable=False),
    Column("academic_year", Integer, nullable=False),
    Column("level", String(30), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("school", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("decided_on", Date, nullable=False),
    columns.recorded_at(),
)

# Completed trainings (结业): a person trained is one with at least one.
completions = Table(
    "completions",
    metadata,
    Column("enrolment_id", String(36), primary_key=True),
    columns.household_id(nullable=False, index=True),
    Column("id_number_hash", String(128), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("completed_on", Date, nullable=False),
    columns.recorded_at(),
)


def programme_reach() -> Projection:
    projection = Projection(
        "evaluation.reach",
        tables=[disbursements, certificates, completions, education_assistance],
    )

    @projection.on(lo.LoanDisbursedV1)
    async def disbursed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "loan_id": str(e.data.loan_id),
                "sequence": e.envelope.sequence,
                "household_id": str(e.data.household_id),
                "product": str(e.data.product),
                "amount": e.data.amount,
                "disbursed_on": e.data.disbursed_on,
                "recorded_at": recorded(e),
            }
            for e in events
        ]
        await upsert(conn, disbursements, rows, keys=["loan_id", "sequence"])

    @projection.on(tr.CertificateIssuedV1)
    async def issued(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                **_holder(e),
                "issued_on": e.data.issued_on,
                "valid_until": e.data.valid_until,
                "issued_recorded_at": recorded(e),
            }
            for e in events
        ]
        # A revocation already there stays: only the issue's own columns are written.
        issue = ["issued_on", "valid_until", "issued_recorded_at"]
        await upsert(conn, certificates, rows, keys=["certificate_id"], update=issue)

    @projection.on(tr.CertificateRevokedV1)
    async def revoked(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {**_holder(e), "revoked_on": e.data.revoked_on, "revoked_recorded_at": recorded(e)}
            for e in events
        ]
        revocation = ["revoked_on", "revoked_recorded_at"]
        await upsert(conn, certificates, rows, keys=["certificate_id"], update=revocation)

    @projection.on(tr.CompletedV1)
    async def completed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "enrolment_id": str(e.data.enrolment_id),
                "household_id": str(e.data.household_id),
                "id_number_hash": e.data.id_number_hash,
                "kind": str(e.data.kind),
                "completed_on": e.data.completed_on,
                "recorded_at": recorded(e),
            }
            for e in events
        ]
        await upsert(conn, completions, rows, keys=["enrolment_id"])

    @projection.on(tr.EducationAssistanceRecordedV1)
    async def assisted(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        fields = [
            "household_id",
            "id_number_hash",
            "id_number_masked",
            "academic_year",
            "level",
            "kind",
            "school",
            "amount_fen",
            "decided_on",
        ]
        rows = [
            {
                "assistance_id": str(e.data.assistance_id),
                **{f: getattr(e.data, f) for f in fields},
                "household_id": str(e.data.household_id),
                "level": str(e.data.level),
                "kind": str(e.data.kind),
                "recorded_at": recorded(e),
            }
            for e in events
        ]
        await upsert(conn, education_assistance, rows, keys=["assistance_id"])

    return projection


def _holder(e: Delivered) -> dict[str, object]:
    """The certificate and whose it is: both its issue and its revocation name them."""
    return {
        "certificate_id": str(e.data.certificate_id),
        "household_id": str(e.data.household_id),
        "id_number_hash": e.data.id_number_hash,
    }
