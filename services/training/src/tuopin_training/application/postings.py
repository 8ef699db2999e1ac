"""What training centres post (培训机构报送): one body, a union discriminated by ``kind``,
taken alike from ``POST /v1/centre-postings`` and from the inbound Kafka topic, each with
the centre's own record id as idempotency key.

A posting names people by resident ID number; it is hashed on arrival with the registry's
key and never stored. Records a centre refers to later (enrolments, appraisals,
certificates) are named by the centre's own references, scoped to that centre, so a
centre can only ever touch its own records.
"""

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.bounds import BusinessDate, Count, Text
from tuopin_contracts.events.training import (
    CertificateBasis,
    DropOutReason,
    Label,
    Level,
    OccupationCode,
)
from tuopin_contracts.text import FreeText

Ref = Annotated[Label, Field(description="The centre's own number")]
IdNumber = Annotated[
    Text,
    Field(min_length=15, max_length=18, description="居民身份证号码; hashed, never stored"),
]
Sessions = Annotated[Count, Field(le=1000)]
# What a centre types: screened, a personal number refused.
Typed = Annotated[FreeText, Field(min_length=1, max_length=200)]


class Posting(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    centre_id: UUID = Field(description="The posting centre (recorded on every fact)")


class EnrolmentPosting(Posting):
    """报名: a member of a registered household enrols in one of the centre's programmes."""

    kind: Literal["enrolment"]
    enrolment_ref: Ref
    programme_id: UUID
    id_number: IdNumber
    enrolled_on: BusinessDate


class AttendancePosting(Posting):
    """考勤 over a period."""

    kind: Literal["attendance"]
    enrolment_ref: Ref
    period_from: BusinessDate
    period_to: BusinessDate
    sessions_held: Annotated[Sessions, Field(ge=1)]
    sessions_attended: Sessions


class CompletionPosting(Posting):
    """结业."""

    kind: Literal["completion"]
    enrolment_ref: Ref
    completed_on: BusinessDate


class DropOutPosting(Posting):
    """退训, with the reason."""

    kind: Literal["drop_out"]
    enrolment_ref: Ref
    left_on: BusinessDate
    reason: DropOutReason
    note: Annotated[FreeText, Field(max_length=500)] = ""


class AppraisalPosting(Posting):
    """职业技能鉴定 and its result, by a centre accredited for the occupation and level."""

    kind: Literal["appraisal"]
    appraisal_ref: Ref
    id_number: IdNumber
    occupation: OccupationCode
    level: Level
    appraised_on: BusinessDate
    passed: bool


class CertificatePosting(Posting):
    """职业资格证书 issued by the posting centre, on a completion or a passed appraisal
    (recorded at this centre, or at ``basis_centre_id``)."""

    kind: Literal["certificate"]
    number: Ref
    id_number: IdNumber
    occupation: OccupationCode
    level: Level
    issued_on: BusinessDate
    valid_until: BusinessDate | None = None
    basis: CertificateBasis
    basis_ref: Ref = Field(description="The enrolment or appraisal, by its centre's reference")
    basis_centre_id: UUID | None = Field(default=None, description="Default: the issuer")


class RevocationPosting(Posting):
    """The issuer revokes one of its certificates (吊销/撤销证书)."""

    kind: Literal["revocation"]
    number: Ref
    revoked_on: BusinessDate
    reason: Typed


class AcademicCertificatePosting(Posting):
    """学历证书 from a vocational school, for the dual-certificate rule (双证书)."""

    kind: Literal["academic_certificate"]
    number: Ref
    id_number: IdNumber
    school: Typed
    speciality: Typed
    education: Literal["secondary_vocational", "higher_vocational"]
    graduated_on: BusinessDate


class PlacementPosting(Posting):
    """劳务输转: a job after training, with months worked so far."""

    kind: Literal["placement"]
    placement_ref: Ref
    id_number: IdNumber
    employer: Typed
    place: Typed
    outside_province: bool
    start_date: BusinessDate
    months_worked: Annotated[Count, Field(le=600)]
    enrolment_ref: Ref | None = None


AnyPosting = (
    EnrolmentPosting
    | AttendancePosting
    | CompletionPosting
    | DropOutPosting
    | AppraisalPosting
    | CertificatePosting
    | RevocationPosting
    | AcademicCertificatePosting
    | PlacementPosting
)
CentrePosting = Annotated[AnyPosting, Field(discriminator="kind")]
