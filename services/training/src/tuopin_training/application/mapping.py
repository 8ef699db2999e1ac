"""Domain events ↔ contract events, and one repository per aggregate."""

from typing import TypeVar
from uuid import NAMESPACE_URL, uuid5

from tuopin_contracts.events import training as contract
from tuopin_eventkit.aggregate import Aggregate
from tuopin_eventkit.repository import EventMap, Repository
from tuopin_eventkit.store import EventStore
from tuopin_training.domain import events as domain

EVENTS = EventMap(
    [
        (domain.CentreAccredited, contract.CentreAccreditedV1),
        (domain.AccreditationWithdrawn, contract.AccreditationWithdrawnV1),
        (domain.ProgrammeOpened, contract.ProgrammeOpenedV1),
        (domain.Enrolled, contract.EnrolledV1),
        (domain.AttendanceRecorded, contract.AttendanceRecordedV1),
        (domain.Completed, contract.CompletedV1),
        (domain.DroppedOut, contract.DroppedOutV1),
        (domain.AppraisalRecorded, contract.AppraisalRecordedV1),
        (domain.CertificateIssued, contract.CertificateIssuedV1),
        (domain.CertificateRevoked, contract.CertificateRevokedV1),
        (domain.AcademicCertificateRecorded, contract.AcademicCertificateRecordedV1),
        (domain.PlacementRecorded, contract.PlacementRecordedV1),
        (domain.EducationAssistanceRecorded, contract.EducationAssistanceRecordedV1),
    ]
)

# Records a centre names by its own reference get ids derived from (centre, reference), so
# the same record posted twice, by HTTP or Kafka, lands on the same stream.
NAMESPACE = uuid5(NAMESPACE_URL, "https://tuopin.gov.cn/training")


def record_id(centre_id: str, what: str, reference: str) -> str:
    return str(uuid5(NAMESPACE, f"{centre_id}/{what}/{reference}"))


A = TypeVar("A", bound=Aggregate)


def repository(store: EventStore, aggregate: type[A]) -> Repository[A]:
    """Streams are typed by the aggregate's name: centre, programme, enrolment, …"""
    return EVENTS.repository(store, aggregate.__name__.lower(), aggregate)
