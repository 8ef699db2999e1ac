"""Recording a centre's posting: find the centre, the person and the records it names,
let the aggregates decide, save — all in the caller's transaction, under the append lock,
so the rules that look across streams (seats, overlapping enrolments, certificate numbers)
read exactly what they decide on. A refusal writes nothing."""

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events import training as tr
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.aggregate import Aggregate, Conflict
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_training.application import office
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

A = TypeVar("A", bound=Aggregate)
Step = p.AttendancePosting | p.CompletionPosting | p.DropOutPosting


class Recorder:
    """One posting's unit of work."""

    def __init__(self, conn: AsyncConnection, store: EventStore, keys: IdentityKeys) -> None:
        self.conn, self.store, self.keys = conn, store, keys

    async def load(self, kind: type, aggregate_id: str) -> Any:
        return await repository(self.store, kind).get(self.conn, aggregate_id)

    async def existing(self, kind: type[A], aggregate_id: str, missing: str | None = None) -> A:
        """The record, or NotFound (with ``missing`` as the message)."""
        found = repository(self.store, kind).existing(self.conn, aggregate_id, missing=missing)
        return await found

    async def save(self, aggregate: Any) -> None:
        await repository(self.store, type(aggregate)).save(self.conn, aggregate)

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
        missing = f"centre {centre_id} has no enrolment {ref}"
        return await self.existing(Enrolment, record_id(centre_id, "enrolment", ref), missing)

    # --- the postings --------------------------------------------------------------------

    async def record(self, posting: p.AnyPosting) -> Outcome:
        await self.store.lock_appends(self.conn)
        centre_id = str(posting.centre_id)
        centre = await office.centre(self.conn, self.store, centre_id)
        kind, (aggregate, event) = await self._decide(posting, centre_id, centre)
        await self.save(aggregate)
        return Outcome(view(kind, event), created=True)

    async def _decide(self, posting: p.AnyPosting, centre_id: str, centre: Centre) -> Any:
        """The posting's kind, and the record it changes with the event it records."""
        rule = RULES.get(type(posting))
        if rule is None:
            raise TypeError(f"no rule records a {type(posting).__name__}")
        return posting.kind, await rule(self, posting, centre_id, centre)

    async def _enrolment(self, post: p.EnrolmentPosting, centre_id: str, _: Centre) -> Any:
        person, identity = await self.person(post.id_number)
        programme = await self.existing(Programme, str(post.programme_id))
        enrolment_id = await self.fresh(Enrolment, centre_id, "enrolment", post.enrolment_ref)
        event = posted(
            tr.EnrolledV1, post, enrolment_id=enrolment_id, kind=programme.kind, **identity
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

    async def _step(self, post: Step, centre_id: str, _: Centre) -> Any:
        """Attendance, completion or drop-out: a step in one of the centre's enrolments."""
        enrolment = await self.enrolment(centre_id, post.enrolment_ref)
        kind, take = STEPS[type(post)]
        event = posted(kind, post, enrolment.enrolled)
        take(enrolment, event)
        return enrolment, event

    async def _appraisal(self, post: p.AppraisalPosting, centre_id: str, centre: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        appraisal_id = await self.fresh(Appraisal, centre_id, "appraisal", post.appraisal_ref)
        event = posted(tr.AppraisalRecordedV1, post, appraisal_id=appraisal_id, **identity)
        return Appraisal.record_result(event, centre), event

    async def _certificate(self, post: p.CertificatePosting, centre_id: str, issuer: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        certificate_id = await self.fresh(Certificate, centre_id, "certificate", post.number)
        basis = await self._basis(post)
        event = posted(
            tr.CertificateIssuedV1,
            post,
            certificate_id=certificate_id,
            occupation_name="-",  # named on issue
            basis_id=basis.basis_id,
            **identity,
        )
        certificate = Certificate.issue(event, issuer, basis)
        return certificate, certificate.issued

    async def _basis(self, post: p.CertificatePosting) -> Basis:
        at = str(post.basis_centre_id or post.centre_id)
        if post.basis == tr.CertificateBasis.COMPLETION:
            enrolment = await self.load(Enrolment, record_id(at, "enrolment", post.basis_ref))
            if enrolment is None:
                raise Refused("certificate-basis", f"centre {at} has no enrolment {post.basis_ref}")
            programme = await self.load(Programme, str(enrolment.enrolled.programme_id))
            return Basis(
                tr.CertificateBasis.COMPLETION,
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
            tr.CertificateBasis.APPRAISAL,
            appraisal.id,
            done.id_number_hash,
            done.occupation,
            done.level,
            done.appraised_on if done.passed else None,
        )

    async def _revocation(self, post: p.RevocationPosting, centre_id: str, _: Centre) -> Any:
        missing = f"centre {centre_id} issued no certificate {post.number}"
        the_id = record_id(centre_id, "certificate", post.number)
        certificate = await self.existing(Certificate, the_id, missing)
        event = posted(tr.CertificateRevokedV1, post, certificate.issued)
        certificate.revoke(event)
        return certificate, event

    async def _academic_certificate(
        self, post: p.AcademicCertificatePosting, centre_id: str, _centre: Centre
    ) -> Any:
        _, identity = await self.person(post.id_number)
        academic_id = await self.fresh(AcademicCertificate, centre_id, "academic", post.number)
        event = posted(tr.AcademicCertificateRecordedV1, post, academic_id=academic_id, **identity)
        return AcademicCertificate.record_certificate(event), event

    async def _placement(self, post: p.PlacementPosting, centre_id: str, _centre: Centre) -> Any:
        _, identity = await self.person(post.id_number)
        placement_id = await self.fresh(Placement, centre_id, "placement", post.placement_ref)
        trained = None
        if post.enrolment_ref is not None:
            trained = (await self.enrolment(centre_id, post.enrolment_ref)).enrolled
        event = posted(
            tr.PlacementRecordedV1,
            post,
            placement_id=placement_id,
            enrolment_id=trained.enrolment_id if trained else None,
            **identity,
        )
        return Placement.record_placement(event, trained), event


# What each step in an enrolment records, and the rule that decides it.
STEPS: dict[type[Step], tuple[type[EventData], Callable[[Enrolment, Any], None]]] = {
    p.AttendancePosting: (tr.AttendanceRecordedV1, Enrolment.record_attendance),
    p.CompletionPosting: (tr.CompletedV1, Enrolment.complete),
    p.DropOutPosting: (tr.DroppedOutV1, Enrolment.drop_out),
}
E = TypeVar("E", bound=EventData)
Rule = Callable[[Recorder, Any, str, Centre], Awaitable[tuple[Any, EventData]]]
# Which rule records each kind of posting.
RULES: dict[type[p.Posting], Rule] = {
    p.EnrolmentPosting: Recorder._enrolment,
    p.AttendancePosting: Recorder._step,
    p.CompletionPosting: Recorder._step,
    p.DropOutPosting: Recorder._step,
    p.AppraisalPosting: Recorder._appraisal,
    p.CertificatePosting: Recorder._certificate,
    p.RevocationPosting: Recorder._revocation,
    p.AcademicCertificatePosting: Recorder._academic_certificate,
    p.PlacementPosting: Recorder._placement,
}


def posted(fact: type[E], post: p.Posting, *known: EventData, **found: Any) -> E:
    """The event recording a posting: every field the posting states under the event's own
    name (its ``kind`` names the posting, not the record), then those of the records it
    names (``known``), then what the rule found."""
    fields = shared(fact, post, but=frozenset({"kind"}))
    for record in known:
        fields |= shared(fact, record)
    return fact(**(fields | found))


def shared(
    fact: type[EventData], source: BaseModel, but: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The fields of ``source`` that ``fact`` names too (but those in ``but``)."""
    names = type(source).model_fields
    return {n: getattr(source, n) for n in fact.model_fields if n in names and n not in but}


def view(kind: str, event: EventData) -> dict[str, Any]:
    """The answer to a posting: what was recorded, without the identity hash."""
    recorded = event.model_dump(exclude={"id_number_hash"})
    return {"kind": kind, **recorded}
