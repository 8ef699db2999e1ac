"""A training programme (培训项目) at an accredited centre: kind, occupation and level,
seats and dates. Its centre must be accredited for the occupation and level on the day it
starts."""

from datetime import date
from uuid import UUID

from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.aggregate import Aggregate
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.rules import Refused
from tuopin_training.domain.terms import TWO_AFTER_SCHOOL_MONTHS, months_between


class Programme(Aggregate):
    opened: tr.ProgrammeOpenedV1

    @classmethod
    def open(cls, opening: tr.ProgrammeOpenedV1, centre: Centre) -> "Programme":
        if opening.ends_on < opening.starts_on:
            raise Refused("programme-dates", "ends_on precedes starts_on")
        if opening.kind == tr.ProgrammeKind.TWO_AFTER_SCHOOL:
            low, high = TWO_AFTER_SCHOOL_MONTHS
            months = months_between(opening.starts_on, opening.ends_on)
            if not low <= months <= high:
                raise Refused(
                    "two-after-school-duration",
                    f"两后生 vocational education lasts {low}–{high} months, not {months}",
                )
        if (opening.kind == tr.ProgrammeKind.LABOUR_BRAND) != (opening.labour_brand is not None):
            raise Refused("labour-brand", "a labour-brand programme, and only one, names its brand")
        centre.authorise(opening.occupation, opening.level, opening.starts_on)
        programme = cls(str(opening.programme_id))
        programme.record(opening)
        return programme

    @property
    def centre_id(self) -> UUID:
        return self.opened.centre_id

    @property
    def kind(self) -> tr.ProgrammeKind:
        return self.opened.kind

    def period(self) -> tuple[date, date]:
        return self.opened.starts_on, self.opened.ends_on

    def apply(self, event: object) -> None:
        match event:
            case tr.ProgrammeOpenedV1():
                self.opened = event
