"""The training centre (培训机构) and its accreditation: which occupations it may train and
certify, up to which level, over which period. Withdrawal (撤销资质) ends every term then
in force; a later accreditation starts a new term."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition
from tuopin_training.domain.rules import Refused
from tuopin_training.domain.terms import level_name


@dataclass(frozen=True)
class Term:
    """One accreditation decision in force from ``valid_from`` to ``valid_until``."""

    valid_from: date
    valid_until: date
    occupations: dict[str, tr.Accreditation]

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


class Centre(Aggregate):
    name: str
    county_code: str
    terms: list[Term]
    withdrawn_on: date | None

    def __init__(self, aggregate_id: str) -> None:
        Aggregate.__init__(self, aggregate_id)
        self.name = self.county_code = ""
        self.terms = []
        self.withdrawn_on = None

    @classmethod
    def accredit(cls, decision: tr.CentreAccreditedV1) -> "Centre":
        centre = cls(str(decision.centre_id))
        centre.reaccredit(decision)
        return centre

    def reaccredit(self, decision: tr.CentreAccreditedV1) -> None:
        """A new or renewed accreditation; it must not reach back before a withdrawal."""
        if decision.valid_until < decision.valid_from:
            raise Refused("accreditation-period", "valid_until precedes valid_from")
        codes = [o.occupation for o in decision.occupations]
        if len(set(codes)) != len(codes):
            raise Refused("accreditation-occupations", "an occupation is listed twice")
        if self.withdrawn_on is not None and decision.valid_from < self.withdrawn_on:
            raise Refused(
                "accreditation-period",
                f"accreditation was withdrawn on {self.withdrawn_on}; a new term starts later",
            )
        self.record(decision)

    def withdraw(self, withdrawal: tr.AccreditationWithdrawnV1) -> None:
        if not any(t.valid_until >= withdrawal.withdrawn_on for t in self.terms):
            raise InvalidTransition("centre", "not accredited after that day", "withdraw")
        self.record(withdrawal)

    def authorise(self, occupation: str, level: int, day: date) -> tr.Accreditation:
        """The accreditation that lets the centre train or certify ``occupation`` at
        ``level`` on ``day``, or the rule it fails."""
        terms = [t for t in self.terms if t.covers(day)]
        if not terms:
            raise Refused("accreditation-period", f"centre {self.name} is not accredited on {day}")
        granted = [t.occupations[occupation] for t in terms if occupation in t.occupations]
        if not granted:
            raise Refused(
                "accreditation-occupation",
                f"centre {self.name} is not accredited for occupation {occupation} on {day}",
            )
        best = min(granted, key=lambda a: a.highest_level)
        if level < best.highest_level:  # 1 is the highest level
            raise Refused(
                "accreditation-level",
                f"centre {self.name} may certify {occupation} up to level {best.highest_level} "
                f"({level_name(best.highest_level)}), not level {level} ({level_name(level)})",
            )
        return best

    def apply(self, event: object) -> None:
        match event:
            case tr.CentreAccreditedV1():
                self.name, self.county_code = event.name, event.county_code
                occupations = {o.occupation: o for o in event.occupations}
                self.terms.append(Term(event.valid_from, event.valid_until, occupations))
            case tr.AccreditationWithdrawnV1():
                last_day = event.withdrawn_on - timedelta(days=1)
                self.terms = [
                    replace(t, valid_until=min(t.valid_until, last_day)) for t in self.terms
                ]
                self.withdrawn_on = event.withdrawn_on
