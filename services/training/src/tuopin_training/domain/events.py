"""What happens in training, as the domain records it (field names = the contract's)."""

from dataclasses import dataclass
from datetime import date

from tuopin_training.domain.terms import (
    AssistanceKind,
    CertificateBasis,
    ProgrammeKind,
    SchoolingLevel,
)


@dataclass(frozen=True, kw_only=True)
class Accreditation:
    occupation: str
    occupation_name: str
    highest_level: int  # 1 is the highest level, 5 the lowest


@dataclass(frozen=True, kw_only=True)
class CentreAccredited:
    centre_id: str
    name: str
    county_code: str
    valid_from: date
    valid_until: date
    occupations: list[Accreditation]


@dataclass(frozen=True, kw_only=True)
class AccreditationWithdrawn:
    centre_id: str
    withdrawn_on: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class ProgrammeOpened:
    centre_id: str
    programme_id: str
    title: str
    kind: ProgrammeKind
    labour_brand: str | None = None
    occupation: str
    level: int
    capacity: int
    starts_on: date
    ends_on: date
    free_for_poor_labour: bool
    fee_fen: int


@dataclass(frozen=True, kw_only=True)
class PersonFact:
    centre_id: str
    household_id: str
    village_code: str
    id_number_hash: str
    id_number_masked: str


@dataclass(frozen=True, kw_only=True)
class Enrolled(PersonFact):
    enrolment_id: str
    enrolment_ref: str
    programme_id: str
    kind: ProgrammeKind
    enrolled_on: date


@dataclass(frozen=True, kw_only=True)
class AttendanceRecorded:
    centre_id: str
    enrolment_id: str
    period_from: date
    period_to: date
    sessions_held: int
    sessions_attended: int


@dataclass(frozen=True, kw_only=True)
class Completed:
    centre_id: str
    enrolment_id: str
    household_id: str
    id_number_hash: str
    kind: ProgrammeKind
    completed_on: date


@dataclass(frozen=True, kw_only=True)
class DroppedOut:
    centre_id: str
    enrolment_id: str
    left_on: date
    reason: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AppraisalRecorded(PersonFact):
    appraisal_id: str
    appraisal_ref: str
    occupation: str
    level: int
    appraised_on: date
    passed: bool


@dataclass(frozen=True, kw_only=True)
class CertificateIssued(PersonFact):
    certificate_id: str
    number: str
    occupation: str
    occupation_name: str
    level: int
    issued_on: date
    valid_until: date | None = None
    basis: CertificateBasis
    basis_id: str


@dataclass(frozen=True, kw_only=True)
class CertificateRevoked:
    centre_id: str
    certificate_id: str
    number: str
    household_id: str
    id_number_hash: str
    revoked_on: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class AcademicCertificateRecorded(PersonFact):
    academic_id: str
    number: str
    school: str
    speciality: str
    education: str
    graduated_on: date


@dataclass(frozen=True, kw_only=True)
class PlacementRecorded(PersonFact):
    placement_id: str
    placement_ref: str
    employer: str
    place: str
    outside_province: bool
    start_date: date
    months_worked: int
    enrolment_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class EducationAssistanceRecorded:
    assistance_id: str
    county_code: str
    household_id: str
    village_code: str
    id_number_hash: str
    id_number_masked: str
    academic_year: int
    level: SchoolingLevel
    kind: AssistanceKind
    school: str
    amount_fen: int
    decided_on: date
