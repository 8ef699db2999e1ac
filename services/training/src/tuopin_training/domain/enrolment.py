"""Enrolment (报名入学) of a member of a registered household in a programme, and its
course: attendance, then completion (结业) or drop-out with a reason.

Eligibility is decided on facts the application gathers under the append lock: the
person as the registry's read model knows them, the seats already taken and the person's
other enrolments whose periods overlap this programme's.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from tuopin_contracts.dates import age_on
from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition
from tuopin_training.domain.programme import Programme
from tuopin_training.domain.rules import Refused
from tuopin_training.domain.terms import TWO_AFTER_SCHOOL_AGE, WORKING_AGE


@dataclass(frozen=True)
class Trainee:
    """A member of a registered household, from the local read model of the registry."""

    household_id: str
    village_code: str
    id_number_hash: str
    id_number_masked: str
    birth_date: date | None
    household_status: str


class Stage(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"


def check_eligible(
    trainee: Trainee,
    programme: Programme,
    enrolled_on: date,
    seats_taken: int,
    overlapping: list[str],
) -> None:
    """Raise the first rule the enrolment breaks."""
    if trainee.household_status == "removed":
        raise Refused(
            "household-removed", "the household was removed from the register (识别不准清退)"
        )
    ends_on = programme.opened.ends_on
    if enrolled_on > ends_on:
        raise Refused("enrolment-date", f"the programme ended on {ends_on}")
    if trainee.birth_date is None:
        raise Refused("age-unknown", "the registry holds no birth date for this person")
    age = age_on(trainee.birth_date, enrolled_on)
    rule, (low, high) = (
        ("two-after-school-age", TWO_AFTER_SCHOOL_AGE)
        if programme.kind == tr.ProgrammeKind.TWO_AFTER_SCHOOL
        else ("working-age", WORKING_AGE)
    )
    if not low <= age <= high:
        raise Refused(rule, f"aged {age} on {enrolled_on}; this programme takes {low}–{high}")
    if overlapping:
        raise Refused(
            "overlapping-enrolment",
            f"already enrolled in an overlapping programme (enrolment {', '.join(overlapping)})",
        )
    if seats_taken >= programme.opened.capacity:
        raise Refused("capacity", f"all {programme.opened.capacity} seats are taken")


class Enrolment(Aggregate):
    enrolled: tr.EnrolledV1
    stage: Stage
    attendance: tuple[int, int]  # sessions held, attended
    completed_on: date | None

    def __init__(self, aggregate_id: str) -> None:
        Aggregate.__init__(self, aggregate_id)
        self.stage, self.attendance, self.completed_on = Stage.ENROLLED, (0, 0), None

    @classmethod
    def enrol(
        cls,
        event: tr.EnrolledV1,
        programme: Programme,
        trainee: Trainee,
        seats_taken: int,
        overlapping: list[str],
    ) -> "Enrolment":
        if programme.centre_id != event.centre_id:
            raise Refused("own-programme", "a centre enrols only in its own programmes")
        check_eligible(trainee, programme, event.enrolled_on, seats_taken, overlapping)
        enrolment = cls(str(event.enrolment_id))
        enrolment.record(event)
        return enrolment

    def record_attendance(self, event: tr.AttendanceRecordedV1) -> None:
        self._must_be_enrolled("record attendance")
        if event.period_to < event.period_from:
            raise Refused("attendance-period", "period_to precedes period_from")
        if event.period_from < self.enrolled.enrolled_on:
            raise Refused("attendance-period", "attendance before the enrolment date")
        if event.sessions_attended > event.sessions_held:
            raise Refused("attendance-sessions", "more sessions attended than held")
        self.record(event)

    def complete(self, event: tr.CompletedV1) -> None:
        self._must_be_enrolled("complete")
        if event.completed_on < self.enrolled.enrolled_on:
            raise Refused("completion-date", "completion before enrolment")
        self.record(event)

    def drop_out(self, event: tr.DroppedOutV1) -> None:
        self._must_be_enrolled("drop out")
        if event.left_on < self.enrolled.enrolled_on:
            raise Refused("drop-out-date", "leaving before enrolment")
        self.record(event)

    def _must_be_enrolled(self, command: str) -> None:
        if self.stage is not Stage.ENROLLED:
            raise InvalidTransition("enrolment", self.stage, command)

    def apply(self, event: object) -> None:
        match event:
            case tr.EnrolledV1():
                self.enrolled = event
            case tr.AttendanceRecordedV1():
                held, attended = self.attendance
                self.attendance = (held + event.sessions_held, attended + event.sessions_attended)
            case tr.CompletedV1():
                self.stage, self.completed_on = Stage.COMPLETED, event.completed_on
            case tr.DroppedOutV1():
                self.stage = Stage.DROPPED_OUT
