"""Facts recorded once on a centre's word: skill appraisals (职业技能鉴定), academic
certificates (学历证书, for 双证书) and job placements (劳务输转)."""

from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.rules import Refused


class Appraisal(Aggregate):
    """Only a centre accredited for the occupation and level may appraise it."""

    recorded: tr.AppraisalRecordedV1

    @classmethod
    def record_result(cls, event: tr.AppraisalRecordedV1, centre: Centre) -> "Appraisal":
        centre.authorise(event.occupation, event.level, event.appraised_on)
        appraisal = cls(str(event.appraisal_id))
        appraisal.record(event)
        return appraisal

    def apply(self, event: object) -> None:
        if not isinstance(event, tr.AppraisalRecordedV1):
            raise TypeError(f"Appraisal cannot apply {type(event).__name__}")
        self.recorded = event


class AcademicCertificate(Aggregate):
    recorded: tr.AcademicCertificateRecordedV1

    @classmethod
    def record_certificate(cls, event: tr.AcademicCertificateRecordedV1) -> "AcademicCertificate":
        certificate = cls(str(event.academic_id))
        certificate.record(event)
        return certificate

    def apply(self, event: object) -> None:
        if not isinstance(event, tr.AcademicCertificateRecordedV1):
            raise TypeError(f"AcademicCertificate cannot apply {type(event).__name__}")
        self.recorded = event


class Placement(Aggregate):
    recorded: tr.PlacementRecordedV1

    @classmethod
    def record_placement(
        cls, event: tr.PlacementRecordedV1, trained: tr.EnrolledV1 | None = None
    ) -> "Placement":
        """A placement that follows a named enrolment is the same person's, after it began."""
        if trained is not None:
            if trained.id_number_hash != event.id_number_hash:
                raise Refused("placement-enrolment", "the enrolment named is another person's")
            if event.start_date < trained.enrolled_on:
                raise Refused("placement-enrolment", "the placement starts before the training")
        placement = cls(str(event.placement_id))
        placement.record(event)
        return placement

    def apply(self, event: object) -> None:
        if not isinstance(event, tr.PlacementRecordedV1):
            raise TypeError(f"Placement cannot apply {type(event).__name__}")
        self.recorded = event
