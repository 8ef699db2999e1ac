"""What the training service's read endpoints answer: one model per answer, so the API
document says each field and a change that drops one fails the schema tests. Shares are
decimal strings to four places (``"0.8125"``), never floats; money is integer fen."""

from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Literal

from pydantic import Field

from tuopin_contracts.events import training as tr
from tuopin_eventkit.answers import answer_of
from tuopin_eventkit.web.http import Answer

Share = str | None  # a decimal to four places; None where there is nothing to divide by


class CentreRow(Answer):
    centre_id: str
    name: str
    county_code: str
    valid_from: date = Field(description="Of the latest accreditation term")
    valid_until: date
    occupations: list[dict[str, object]] = Field(description="What it may train and certify")
    withdrawn_on: date | None
    withdrawal_reason: str | None


class Programme(Answer):
    programme_id: str
    centre_id: str
    title: str
    kind: str
    labour_brand: str | None
    occupation: str
    level: int
    capacity: int
    starts_on: date
    ends_on: date
    free_for_poor_labour: bool
    fee_fen: int
    seats_taken: int = Field(description="Enrolments not dropped out")
    enrolments: dict[str, int] = Field(description="Enrolments by stage")


class CertificateCheck(Answer):
    """证书查询: what anyone may learn of a certificate."""

    issuer: str
    issuer_name: str
    number: str
    holder: str = Field(description="The holder's resident ID, masked")
    occupation: str
    occupation_name: str
    level: int
    issued_on: date
    valid_until: date | None
    status: Literal["valid", "expired", "revoked"]
    revoked_on: date | None
    revocation_reason: str | None
    checked_on: date


class RegionCoverage(Answer):
    code: str
    households: int
    certified_households: int
    coverage: Share


class Coverage(Answer):
    """Registered households with a member holding a valid certificate (the 2020 goal)."""

    level: Literal["county", "township", "village"]
    within: str | None
    as_of: date
    known_at: datetime | None
    households: int
    certified_households: int
    coverage: Share
    regions: list[RegionCoverage]


class HeldCertificate(Answer):
    id_number_masked: str
    centre_id: str
    number: str
    occupation: str
    occupation_name: str
    level: int
    issued_on: date


class HouseholdCoverage(Answer):
    household_id: str
    file_number: str
    county_code: str
    village_code: str
    status: str
    identified_on: date | None
    identified_at: datetime | None
    removed_on: date | None
    removed_at: datetime | None
    members: int
    as_of: date
    known_at: datetime | None
    has_certified_member: bool
    certificates: list[HeldCertificate]


class WorkListRow(Answer):
    household_id: str
    file_number: str
    village_code: str
    status: str
    working_age_members: list[str] = Field(description="The registry's person ids")


class WorkList(Answer):
    """工作清单: households with working-age members and no certificate yet."""

    within: str
    as_of: date
    households: int
    rows: list[WorkListRow]


class FarmersTrained(Answer):
    trained: int
    target: int
    share_of_target: Share


class LabourExport(Answer):
    placements: int
    outside_province: int
    months_worked: int


class Yearly(Answer):
    year: int
    enrolled: dict[str, int] = Field(description="Enrolments in the year, by programme kind")
    completed: dict[str, int]
    new_professional_farmers: FarmersTrained
    two_after_school_enrolled: int
    certificates_issued: int
    certificates_revoked: int
    dual_certificate_holders: int
    labour_export: LabourExport


class Figures(Answer):
    people: int
    households: int
    placements: int
    months_worked: int


class Place(Figures):
    place: str | None


class Side(Figures):
    places: list[Place]


class RegionTransfer(Figures):
    code: str
    within_province: Side
    outside_province: Side


class LabourTransfer(Figures):
    """劳务输转: placements that started in the year, by the next level down."""

    region: str
    year: int
    as_of: date
    known_at: datetime | None
    level: str
    within_province: Side
    outside_province: Side
    regions: list[RegionTransfer]


# --- what the commands answer --------------------------------------------------------


class Term(Answer):
    valid_from: date
    valid_until: date
    occupations: list[tr.Accreditation]


class Centre(Answer):
    """A centre and every term of its accreditation (the centre's commands and its read)."""

    centre_id: str
    name: str
    county_code: str
    terms: list[Term]
    withdrawn_on: date | None
    version: int


OpenedProgramme = answer_of(tr.ProgrammeOpenedV1, "OpenedProgramme", version=int)

EducationAssistance = answer_of(
    tr.EducationAssistanceRecordedV1,
    "EducationAssistance",
    drop={"id_number_hash"},
    amount_yuan=(str, Field(description="amount_fen in yuan, a decimal string")),
)

# A posting's answer is what it recorded, without the identity hash, and its kind: the
# posting's, unless the event names a kind of its own (the programme's, in an enrolment).
_RECORDED = (
    tr.EnrolledV1,
    tr.AttendanceRecordedV1,
    tr.CompletedV1,
    tr.DroppedOutV1,
    tr.AppraisalRecordedV1,
    tr.CertificateIssuedV1,
    tr.CertificateRevokedV1,
    tr.AcademicCertificateRecordedV1,
    tr.PlacementRecordedV1,
)
_POSTED = tuple(
    answer_of(
        e,
        f"Posted{e.__name__.removesuffix('V1')}",
        drop={"id_number_hash"},
        **({} if "kind" in e.model_fields else {"kind": str}),
    )
    for e in _RECORDED
)
Posted = reduce(or_, _POSTED)  # one of them
