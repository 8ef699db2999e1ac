"""Vocational qualification certificates (职业资格证书): issued only on a completed
eligible programme or a passed appraisal (鉴定), within the issuer's accreditation on the
day of issue; verifiable by anyone by issuer and number; revocable with a reason."""

from dataclasses import dataclass
from datetime import date

from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.rules import Refused


@dataclass(frozen=True)
class Basis:
    """What the certificate rests on: an enrolment or an appraisal, as it stands."""

    kind: tr.CertificateBasis
    basis_id: str
    id_number_hash: str
    occupation: str
    level: int
    achieved_on: date | None  # completed or passed on; None if not (yet)


class Certificate(Aggregate):
    issued: tr.CertificateIssuedV1
    revoked: tr.CertificateRevokedV1 | None

    @classmethod
    def issue(cls, event: tr.CertificateIssuedV1, issuer: Centre, basis: Basis) -> "Certificate":
        accreditation = issuer.authorise(event.occupation, event.level, event.issued_on)
        if basis.id_number_hash != event.id_number_hash:
            raise Refused("basis-holder", f"the {basis.kind} is another person's")
        if basis.achieved_on is None:
            what = "completed" if basis.kind == tr.CertificateBasis.COMPLETION else "passed"
            raise Refused("basis-achieved", f"the {basis.kind} was not {what}")
        if basis.occupation != event.occupation:
            raise Refused(
                "basis-occupation",
                f"the {basis.kind} is for occupation {basis.occupation}, not {event.occupation}",
            )
        if event.level < basis.level:  # 1 is the highest level
            raise Refused(
                "basis-level",
                f"the {basis.kind} reached level {basis.level}; level {event.level} is higher",
            )
        if event.issued_on < basis.achieved_on:
            raise Refused("issue-date", f"issued before the {basis.kind} ({basis.achieved_on})")
        if event.valid_until is not None and event.valid_until <= event.issued_on:
            raise Refused("validity", "valid_until must follow the issue date")
        certificate = cls(str(event.certificate_id))
        # The occupation's name on the certificate is the one the issuer is accredited for.
        certificate.record(
            event.model_copy(update={"occupation_name": accreditation.occupation_name})
        )
        return certificate

    def revoke(self, event: tr.CertificateRevokedV1) -> None:
        if self.revoked is not None:
            raise InvalidTransition("certificate", "revoked", "revoke")
        if event.centre_id != self.issued.centre_id:
            raise Refused("issuer-only", "only the issuer revokes its certificates")
        if event.revoked_on < self.issued.issued_on:
            raise Refused("revocation-date", "revoked before it was issued")
        self.record(event)

    def standing(self, day: date) -> str:
        """valid, revoked, expired, or not yet issued on ``day``."""
        if self.revoked is not None and self.revoked.revoked_on <= day:
            return "revoked"
        if day < self.issued.issued_on:
            return "not_yet_issued"
        if self.issued.valid_until is not None and day > self.issued.valid_until:
            return "expired"
        return "valid"

    def apply(self, event: object) -> None:
        match event:
            case tr.CertificateIssuedV1():
                self.issued, self.revoked = event, None
            case tr.CertificateRevokedV1():
                self.revoked = event
