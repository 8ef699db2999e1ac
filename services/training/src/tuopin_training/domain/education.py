"""Education assistance for poor students (教育扶贫, seed 四.9(1)), one stream per student
and academic year: the 中职 grant (2,000 yuan per student-year), tuition and book-fee
waivers for 中职 and 高职(专科) students, and the preschool care-fee waiver — each at most
once per student-year, for a member of a household on the register on the decision date."""

from dataclasses import dataclass
from datetime import date

from tuopin_contracts.dates import decided_for
from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate, Conflict
from tuopin_training.domain.rules import Refused
from tuopin_training.domain.terms import ASSISTANCE_LEVELS, SECONDARY_VOCATIONAL_GRANT_FEN


@dataclass(frozen=True)
class Pupil:
    """The student's household, from the local read model of the registry."""

    household_id: str
    county_code: str
    identified_on: date | None  # 建档立卡 from
    removed_on: date | None  # removed as wrongly identified (清退) from


def check_eligible(event: tr.EducationAssistanceRecordedV1, pupil: Pupil) -> None:
    """Raise the first rule the assistance breaks."""
    allowed = ASSISTANCE_LEVELS[event.kind]
    if event.level not in allowed:
        raise Refused(
            "schooling-level",
            f"{event.kind} is for {', '.join(sorted(allowed))} students, not {event.level}",
        )
    if pupil.county_code != event.county_code:
        raise Refused(
            "county",
            f"the student's household is in county {pupil.county_code}, not {event.county_code}",
        )
    day = event.decided_on
    on_register = pupil.identified_on is not None and pupil.identified_on <= day
    if not on_register or (pupil.removed_on is not None and pupil.removed_on <= day):
        raise Refused(
            "registered-poor-household",
            f"the student's household is not a registered poor household (建档立卡) on {day}",
        )
    if not decided_for(day, event.academic_year):
        raise Refused(
            "academic-year",
            f"a decision of {day} is not within academic year {event.academic_year}–"
            f"{(event.academic_year + 1) % 100:02d}",
        )
    if event.kind == tr.AssistanceKind.GRANT and event.amount_fen != SECONDARY_VOCATIONAL_GRANT_FEN:
        raise Refused(
            "grant-amount",
            f"the 中职 grant is {SECONDARY_VOCATIONAL_GRANT_FEN // 100} yuan per student-year",
        )


class StudentYear(Aggregate):
    """A student's assistance in one academic year, by kind."""

    received: dict[tr.AssistanceKind, tr.EducationAssistanceRecordedV1]

    def __init__(self, aggregate_id: str) -> None:
        Aggregate.__init__(self, aggregate_id)
        self.received = {}

    def grant(self, event: tr.EducationAssistanceRecordedV1, pupil: Pupil) -> None:
        check_eligible(event, pupil)
        earlier = self.received.get(event.kind)
        if earlier is not None:
            raise Conflict(
                f"{event.kind} for academic year {event.academic_year} is already recorded "
                f"for this student (decided {earlier.decided_on})",
                assistance_id=str(earlier.assistance_id),
            )
        levels = {r.level for r in self.received.values()}
        if levels and event.level not in levels:
            raise Refused(
                "student-year-level",
                f"the student is recorded at {', '.join(sorted(levels))} in academic year "
                f"{event.academic_year}",
            )
        self.record(event)

    def apply(self, event: object) -> None:
        match event:
            case tr.EducationAssistanceRecordedV1():
                self.received[event.kind] = event
