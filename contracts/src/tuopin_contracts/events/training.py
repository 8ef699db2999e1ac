"""Events the training service (技能培训) publishes on ``tuopin.training.events``.

Training centres (培训机构) are accredited for occupations up to a level; programmes of the
seed's kinds enrol members of registered poor households; completions and passed appraisals
(鉴定) lead to vocational qualification certificates (职业资格证书), which count towards the
2020 goal "every poor household has at least one member with a certificate and a skill".

People travel as the registry's keyed identity hash and a masked number, never in clear.
Every fact about a person also names their household, so a consumer (evaluation) can count
certified members per household without a read model of people.

Levels follow the national vocational qualification scale: 1 is the highest (一级/高级技师)
and 5 the lowest (五级/初级工); a centre accredited "up to level 3" may train and certify
levels 5, 4 and 3.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuopin_contracts.bounds import Text
from tuopin_contracts.catalogue import EventData, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic

Level = Annotated[
    int, Field(ge=1, le=5, description="职业技能等级: 1 高级技师 (highest) … 5 初级工 (lowest)")
]
OccupationCode = Annotated[
    str,
    Field(
        pattern=r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$",
        description="Code in the national occupational classification (职业分类大典 2015)",
        examples=["4-03-02-01"],
    ),
]
IdHash = Annotated[
    str, Field(min_length=16, max_length=128, description="Keyed hash of the resident ID number")
]
Masked = Annotated[str, Field(max_length=18, examples=["6211**********1234"])]
Reason = Annotated[Text, Field(min_length=1, max_length=500, description="Why (理由).")]
Label = Annotated[Text, Field(min_length=1, max_length=200, description="A name, title or number")]


class ProgrammeKind(StrEnum):
    """The seed's training programmes (item 8(3), 9(4))."""

    TWO_AFTER_SCHOOL = "two_after_school"  # 两后生 2–3 year vocational education
    EMPLOYMENT_SKILLS = "employment_skills"  # 就业技能培训, about 3 months, young migrant workers
    ON_THE_JOB_UPGRADE = "on_the_job_upgrade"  # 岗位技能提升培训
    ENTREPRENEURSHIP = "entrepreneurship"  # 创业培训
    LEADER = "leader"  # 创业和技能带头人示范培训
    NEW_PROFESSIONAL_FARMER = "new_professional_farmer"  # 新型职业农民
    LABOUR_BRAND = "labour_brand"  # 劳务品牌培训
    AGRICULTURAL_TECHNOLOGY = "agricultural_technology"  # 科技扶贫: 新品种、新技术推广


class LabourBrand(StrEnum):
    """Gansu's labour brands (劳务品牌)."""

    LONGYUAN_MEI = "longyuan_mei"  # 陇原妹
    LONGYUAN_YUESAO = "longyuan_yuesao"  # 陇原月嫂
    LONGYUAN_QIAOSHOU = "longyuan_qiaoshou"  # 陇原巧手
    LANZHOU_BEEF_NOODLES = "lanzhou_beef_noodles"  # 兰州牛肉拉面


class DropOutReason(StrEnum):
    """Why a trainee left before completing (中途退学/退训)."""

    EMPLOYED = "employed"  # found work
    ILLNESS = "illness"
    FAMILY = "family"  # family duties
    MOVED = "moved"  # left the area
    ENROLLED_ELSEWHERE = "enrolled_elsewhere"
    OTHER = "other"


class CertificateBasis(StrEnum):
    """What a vocational certificate was issued on."""

    COMPLETION = "completion"  # completed an eligible programme
    APPRAISAL = "appraisal"  # passed a skill appraisal (职业技能鉴定)


class Accreditation(BaseModel):
    """One occupation a centre may train and certify, up to a level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    occupation: OccupationCode
    occupation_name: Label
    highest_level: Level = Field(description="The highest level it may certify (1 is highest)")


class CentreFact(EventData):
    centre_id: UUID


@event_type("training.centre.accredited.v1", topic=Topic.TRAINING, effective="valid_from")
class CentreAccreditedV1(CentreFact):
    """A training centre was accredited, or its accreditation renewed or changed: the
    occupations and levels it may train and certify, and the period."""

    name: Label
    county_code: CountyCode
    valid_from: date
    valid_until: date
    occupations: list[Accreditation] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _period(self) -> "CentreAccreditedV1":
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until precedes valid_from")
        return self


@event_type(
    "training.centre.accreditation_withdrawn.v1", topic=Topic.TRAINING, effective="withdrawn_on"
)
class AccreditationWithdrawnV1(CentreFact):
    """The office withdrew the centre's accreditation from a day on (撤销资质)."""

    withdrawn_on: date
    reason: Reason


@event_type("training.programme.opened.v1", topic=Topic.TRAINING, effective="starts_on")
class ProgrammeOpenedV1(CentreFact):
    """A programme was opened at a centre: its kind, occupation, level, seats and dates."""

    programme_id: UUID
    title: Label
    kind: ProgrammeKind
    labour_brand: LabourBrand | None = None
    occupation: OccupationCode
    level: Level
    capacity: int = Field(ge=1, le=10_000)
    starts_on: date
    ends_on: date
    free_for_poor_labour: bool = Field(description="免费对贫困劳动力开展培训")
    fee_fen: int = Field(ge=0, description="Fee per trainee for others, in fen (分)")


class PersonFact(CentreFact):
    """A fact about a person: the household they belong to and their keyed identity."""

    household_id: UUID
    village_code: VillageCode
    id_number_hash: IdHash
    id_number_masked: Masked


@event_type("training.enrolment.enrolled.v1", topic=Topic.TRAINING, effective="enrolled_on")
class EnrolledV1(PersonFact):
    """A member of a registered household enrolled in a programme (the centre's record)."""

    enrolment_id: UUID
    enrolment_ref: Label = Field(description="The centre's own record number")
    programme_id: UUID
    kind: ProgrammeKind
    enrolled_on: date


@event_type(
    "training.enrolment.attendance_recorded.v1", topic=Topic.TRAINING, effective="period_to"
)
class AttendanceRecordedV1(CentreFact):
    """Attendance over a period (考勤), as sessions held and attended."""

    enrolment_id: UUID
    period_from: date
    period_to: date
    sessions_held: int = Field(ge=1, le=1000)
    sessions_attended: int = Field(ge=0, le=1000)


@event_type("training.enrolment.completed.v1", topic=Topic.TRAINING, effective="completed_on")
class CompletedV1(CentreFact):
    """The trainee completed the programme (结业)."""

    enrolment_id: UUID
    household_id: UUID
    id_number_hash: IdHash
    kind: ProgrammeKind
    completed_on: date


@event_type("training.enrolment.dropped_out.v1", topic=Topic.TRAINING, effective="left_on")
class DroppedOutV1(CentreFact):
    """The trainee left before completing, with the reason."""

    enrolment_id: UUID
    left_on: date
    reason: DropOutReason
    note: str = Field(default="", max_length=500)


@event_type("training.appraisal.recorded.v1", topic=Topic.TRAINING, effective="appraised_on")
class AppraisalRecordedV1(PersonFact):
    """A skill appraisal (职业技能鉴定) and its result."""

    appraisal_id: UUID
    appraisal_ref: Label
    occupation: OccupationCode
    level: Level
    appraised_on: date
    passed: bool


@event_type("training.certificate.issued.v1", topic=Topic.TRAINING, effective="issued_on")
class CertificateIssuedV1(PersonFact):
    """A vocational qualification certificate was issued; ``centre_id`` is the issuer and
    ``number`` is unique per issuer."""

    certificate_id: UUID
    number: Label
    occupation: OccupationCode
    occupation_name: Label
    level: Level
    issued_on: date
    valid_until: date | None = None
    basis: CertificateBasis
    basis_id: UUID = Field(description="The enrolment completed or the appraisal passed")


@event_type("training.certificate.revoked.v1", topic=Topic.TRAINING, effective="revoked_on")
class CertificateRevokedV1(CentreFact):
    """A certificate was revoked; verification answers "revoked" with the reason."""

    certificate_id: UUID
    number: Label
    household_id: UUID
    id_number_hash: IdHash
    revoked_on: date
    reason: Reason


@event_type(
    "training.academic_certificate.recorded.v1", topic=Topic.TRAINING, effective="graduated_on"
)
class AcademicCertificateRecordedV1(PersonFact):
    """An academic certificate (学历证书) by a vocational school, for the 双证书 rule."""

    academic_id: UUID
    number: Label
    school: Label
    speciality: Label
    education: str = Field(pattern="^(secondary_vocational|higher_vocational)$")
    graduated_on: date


@event_type("training.placement.recorded.v1", topic=Topic.TRAINING, effective="start_date")
class PlacementRecordedV1(PersonFact):
    """A job placement after training (劳务输转): employer, place, start, months worked."""

    placement_id: UUID
    placement_ref: Label
    employer: Label
    place: Label
    outside_province: bool = Field(description="输转到省外")
    start_date: date
    months_worked: int = Field(ge=0, le=600)
    enrolment_id: UUID | None = None


class SchoolingLevel(StrEnum):
    """The schooling a student is in when assistance is decided (seed 四.9(1))."""

    PRESCHOOL = "preschool"  # 学前教育: 免收保教费
    SECONDARY_VOCATIONAL = "secondary_vocational"  # 中等职业学校 (中职)
    HIGHER_VOCATIONAL = "higher_vocational"  # 高职(专科)院校


class AssistanceKind(StrEnum):
    """What the student receives (seed 四.9(1))."""

    GRANT = "grant"  # 中职助学金, 2,000 yuan per student-year
    TUITION_WAIVER = "tuition_waiver"  # 免除学费 (中职, 高职)
    BOOK_FEE_WAIVER = "book_fee_waiver"  # 免除书本费 (中职, 高职)
    CARE_FEE_WAIVER = "care_fee_waiver"  # 免收保教费 (学前)


@event_type(
    "training.education_assistance.recorded.v1", topic=Topic.TRAINING, effective="decided_on"
)
class EducationAssistanceRecordedV1(EventData):
    """The county's education bureau recorded assistance for a member of a registered poor
    household (教育扶贫, seed 四.9(1)) for an academic year: a 中职 grant, or a fee waived.
    ``academic_year`` is the year the school year starts (2017 = 2017–18 学年)."""

    assistance_id: UUID
    county_code: CountyCode
    household_id: UUID
    village_code: VillageCode
    id_number_hash: IdHash
    id_number_masked: Masked
    academic_year: int = Field(ge=2013, le=2100)
    level: SchoolingLevel
    kind: AssistanceKind
    school: Label
    amount_fen: int = Field(ge=1, description="Granted or waived, in fen (分)")
    decided_on: date
