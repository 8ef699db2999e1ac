"""Recording a centre's posting: find the centre, the person and the records it names,
let the aggregates decide, save — all in the caller's transaction, under the append lock,
so the rules that look across streams (seats, overlapping enrolments, certificate numbers)
read exactly what they decide on. A refusal writes nothing."""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events import training as ev
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.aggregate import Conflict, NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_training.application import postings as p
from tuopin_training.application.records import enrolments, programmes
from tuopin_training.application.repositories import record_id, repository
from tuopin_training.application.trainee_households import trainee
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.certificate import Basis, Certificate
from tuopin_training.domain.enrolment import Enrolment, Trainee
from tuopin_training.domain.programme import Programme
from tuopin_training.domain.records import AcademicCertificate, Appraisal, Placement
from tuopin_training.domain.rules import Refused


class Recorder:
    """One posting's unit of work."""

    def __init__(self, conn: AsyncConnection, store: EventStore, keys: IdentityKeys) -> None:
        self.conn, self.store, self.keys = conn, store, keys

    async def load(self, kind: type, aggregate_id: str) -> Any:
        return await repository(self.store, kind).get(self.conn, aggregate_id)

    async def save(self, aggregate: Any) -> None:
        await repository(self.store, type(aggregate)).save(self.conn, aggregate)

    async def centre(self, centre_id: object) -> Centre:
        centre = await self.load(Centre, str(centre_id))
        if centre is None:
            raise NotFound(f"no training centre {centre_id}")
        return centre

    async def person(self, id_number: str) -> tuple[Trainee, dict[str, str]]:
        """The registered member with this ID number, and their identity for events."""
        resident = self.keys.resident(id_number)
        found = await trainee(self.conn, resident.hash, resident.masked)
        if found is None:
            raise Refused(
                "registered-member",
                f"{resident.masked} is not a member of a household registered (建档立卡)",
            )
        return found, {
            "household_id": found.household_id,
            "village_code": found.village_code,
            "id_number_hash": found.id_number_hash,
            "id_number_masked": found.id_number_masked,
        }

    async def fresh(self, kind: type, centre_id: str, what: str, ref: str) -> str:
        """The id of a record the centre names for the first time; a clash is a conflict."""
        new_id = record_id(centre_id, what, ref)
        if await self.load(kind, new_id) is not None:
            raise Conflict(
                f"{what} {ref} is already recorded for centre {centre_id}",
                **{f"{what}_id": new_id},
            )
        return new_id

    async def enrolment(self, centre_id: str, ref: str) -> Enrolment:
        found = await self.load(Enrolment, record_id(centre_id, "enrolment", ref))
        if found is None:
            raise NotFound(f"centre {centre_id} has no enrolment {ref}")
        return found

    # --- the postings --------------------------------------------------------------------

    async def record(self, posting: p.Posting) -> Outcome:
        await self.store.lock_appends(self.conn)
        centre_id = str(posting.centre_id)
        centre = await self.centre(centre_id)
        kind, (aggregate, event) = await self._decide(posting, centre_id, centre)
        await self.save(aggregate)
        return Outcome(view(kind, event), created=True)

    async def _decide(self, posting: p.Posting, centre_id: str, centre: Centre) -> Any:
        """The posting's kind, and the record it changes with the event it records."""
        match posting:
            case p.EnrolmentPosting():
                decided = await self._enrolment(posting, centre_id, centre)
            case p.AttendancePosting():
                decided = await self._attendance(posting, centre_id, centre)
            case p.CompletionPosting():
                decided = await self._completion(posting, centre_id, centre)
            case p.DropOutPosting():
                decided = await self._drop_out(posting, centre_id, centre)
            case p.AppraisalPosting():
                decided = await self._appraisal(posting, centre_id, centre)
            case p.CertificatePosting():
                decided = await self._certificate(posting, centre_id, centre)
            case p.RevocationPosting():
                decided = await self._revocation(posting, centre_id, centre)
            case p.AcademicCertificatePosting():
                decided = await self._academic_certificate(posting, centre_id, centre)
            case p.PlacementPosting():
                decided = await self._placement(posting, centre_id, centre)
            case _:
                raise TypeError(f"no rule records a {type(posting).__name__}")
        return posting.kind, decided

    async def _enrolment(self, post: p.EnrolmentPosting, centre_id: str, _: Centre) -> Any:
        person, identity = await self.person(post.id_number)
        programme = await self.load(Programme, str(post.programme_id))
        if programme is None:
            raise NotFound(f"no programme {post.programme_id}")
        enrolment_id = await self.fresh(Enrolment, centre_id, "enrolment", post.enrolment_ref)
        event = ev.EnrolledV1(
            centre_id=centre_id,
            enrolment_id=enrolment_id,
            enrolment_ref=post.enrolment_ref,
            programme_id=programme.id,
            kind=programme.kind,
            enrolled_on=post.enrolled_on,
            **identity,
        )
        starts_on, ends_on = programme.period()
        overlapping = await self._overlapping(person, max(starts_on, post.enrolled_on), ends_on)
        seats = await self.conn.scalar(
            select(func.count()).where(
                enrolments.c.programme_id == programme.id, enrolments.c.stage != "dropped_out"
            )
        )
        enrolment = Enrolment.enrol(event, programme, person, int(seats or 0), overlapping)
        return enrolment, event

    async def _overlapping(self, person: Trainee, start: date, end: date) -> list[str]:
        """The person's enrolments whose time in training meets [start, end]: from the later
        of enrolment and programme start, until completion, drop-out or programme end."""
        e, g = enrolments, programmes
        rows = await self.conn.execute(
            select(e.c.enrolment_ref, e.c.enrolled_on, e.c.finished_on, g.c.starts_on, g.c.ends_on)
            .join(g, g.c.programme_id == e.c.programme_id)
            .where(e.c.id_number_hash == person.id_number_hash)
        )
        return [
            r.enrolment_ref
            for r in rows
            if max(r.starts_on, r.enrolled_on) <= end and start <= (r.finished_on or r.ends_on)
        ]

    async def _attendance(self, post: p.AttendancePosting, centre_id: str, _: Centre) -> Any:
        enrolment = await self.enrolment(centre_id, post.enrolment_ref)
        event = ev.AttendanceRecordedV1(
            centre_id=centre_id,
            enrolment_id=enrolment.id,
            period_from=post.period_from,
            period_to=post.period_to,
            sessions_held=post.sessions_held,
            sessions_attended=post.sessions_attended,
        )
        enrolment.record_attendance(event)
        return enrolment, event

    async def _completion(self, post: p.CompletionPosting, centre_id: str, _: Centre) -> Any:
        enrolment = await self.enrolment(centre_id, post.enrolment_ref)
        enrolled = enrolment.enrolled
        event = ev.CompletedV1(
            centre_id=centre_id,
            enrolment_id=enrolment.id,
            household_id=enrolled.household_id,
            id_number_hash=enrolled.id_number_hash,
            kind=enrolled.kind,
            completed_on=post.completed_on,
        )
        enrolment.complete(event)
        return enrolment, event

    async def _drop_out(self, post: p.DropOutPosting, centre_id: str, _: Centre) -> Any:
        enrolment = await self.enrolment(centre_id, post.enrolment_ref)
        event = ev.DroppedOutV1(
            centre_id=centre_id,
            enrolment_id=enrolment.id,
            left_on=post.left_on,
            reason=post.reason,
            note=post.note,
        )
        enrolment.drop_out(event)
        return enrolment, event

    async def _appraisal(self, post: p.AppraisalPosting, centre_id: str, centre: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        appraisal_id = await self.fresh(Appraisal, centre_id, "appraisal", post.appraisal_ref)
        event = ev.AppraisalRecordedV1(
            centre_id=centre_id,
            appraisal_id=appraisal_id,
            appraisal_ref=post.appraisal_ref,
            occupation=post.occupation,
            level=post.level,
            appraised_on=post.appraised_on,
            passed=post.passed,
            **identity,
        )
        return Appraisal.record_result(event, centre), event

    async def _certificate(self, post: p.CertificatePosting, centre_id: str, issuer: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        certificate_id = await self.fresh(Certificate, centre_id, "certificate", post.number)
        basis = await self._basis(post)
        event = ev.CertificateIssuedV1(
            centre_id=centre_id,
            certificate_id=certificate_id,
            number=post.number,
            occupation=post.occupation,
            occupation_name="-",
            level=post.level,  # named on issue
            issued_on=post.issued_on,
            valid_until=post.valid_until,
            basis=post.basis,
            basis_id=basis.basis_id,
            **identity,
        )
        certificate = Certificate.issue(event, issuer, basis)
        return certificate, certificate.issued

    async def _basis(self, post: p.CertificatePosting) -> Basis:
        at = str(post.basis_centre_id or post.centre_id)
        if post.basis == ev.CertificateBasis.COMPLETION:
            enrolment = await self.load(Enrolment, record_id(at, "enrolment", post.basis_ref))
            if enrolment is None:
                raise Refused("certificate-basis", f"centre {at} has no enrolment {post.basis_ref}")
            programme = await self.load(Programme, str(enrolment.enrolled.programme_id))
            return Basis(
                ev.CertificateBasis.COMPLETION,
                enrolment.id,
                enrolment.enrolled.id_number_hash,
                programme.opened.occupation,
                programme.opened.level,
                enrolment.completed_on,
            )
        appraisal = await self.load(Appraisal, record_id(at, "appraisal", post.basis_ref))
        if appraisal is None:
            raise Refused("certificate-basis", f"centre {at} has no appraisal {post.basis_ref}")
        done = appraisal.recorded
        return Basis(
            ev.CertificateBasis.APPRAISAL,
            appraisal.id,
            done.id_number_hash,
            done.occupation,
            done.level,
            done.appraised_on if done.passed else None,
        )

    async def _revocation(self, post: p.RevocationPosting, centre_id: str, _: Centre) -> Any:
        certificate = await self.load(Certificate, record_id(centre_id, "certificate", post.number))
        if certificate is None:
            raise NotFound(f"centre {centre_id} issued no certificate {post.number}")
        issued = certificate.issued
        event = ev.CertificateRevokedV1(
            centre_id=centre_id,
            certificate_id=certificate.id,
            number=post.number,
            household_id=issued.household_id,
            id_number_hash=issued.id_number_hash,
            revoked_on=post.revoked_on,
            reason=post.reason,
        )
        certificate.revoke(event)
        return certificate, event

    async def _academic_certificate(
        self, post: p.AcademicCertificatePosting, centre_id: str, _centre: Centre
    ) -> Any:
        _, identity = await self.person(post.id_number)
        academic_id = await self.fresh(AcademicCertificate, centre_id, "academic", post.number)
        event = ev.AcademicCertificateRecordedV1(
            centre_id=centre_id,
            academic_id=academic_id,
            number=post.number,
            school=post.school,
            speciality=post.speciality,
            education=post.education,
            graduated_on=post.graduated_on,
            **identity,
        )
        return AcademicCertificate.record_certificate(event), event

    async def _placement(self, post: p.PlacementPosting, centre_id: str, _centre: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        placement_id = await self.fresh(Placement, centre_id, "placement", post.placement_ref)
        trained = None
        if post.enrolment_ref is not None:
            trained = (await self.enrolment(centre_id, post.enrolment_ref)).enrolled
        event = ev.PlacementRecordedV1(
            centre_id=centre_id,
            placement_id=placement_id,
            placement_ref=post.placement_ref,
            employer=post.employer,
            place=post.place,
            outside_province=post.outside_province,
            start_date=post.start_date,
            months_worked=post.months_worked,
            enrolment_id=trained.enrolment_id if trained else None,
            **identity,
        )
        return Placement.record_placement(event, trained), event


def view(kind: str, event: EventData) -> dict[str, Any]:
    """The answer to a posting: what was recorded, without the identity hash."""
    recorded = event.model_dump(exclude={"id_number_hash"})
    return {"kind": kind, **recorded}
