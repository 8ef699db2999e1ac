"""An exit verification (脱贫验收): one verdict on one publicised exit, recorded once as
the contract's event (evaluation.household.exit_verified)."""

from datetime import date
from typing import Any

from tuopin_contracts.events.evaluation import Criterion, ExitVerifiedV2
from tuopin_eventkit.store.aggregate import Aggregate, InvalidTransition


class ExitVerification(Aggregate):
    concluded: bool

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.concluded = False

    @classmethod
    def conclude(
        cls, verification_id: str, household_id: str, as_of: date, criteria: list[Criterion]
    ) -> "ExitVerification":
        """The verdict as of ``as_of``, on the income of that day's year."""
        verification = cls(verification_id)
        verification.record(
            ExitVerifiedV2(
                verification_id=verification_id,
                household_id=household_id,
                year=as_of.year,
                as_of=as_of,
                passed=all(c.passed for c in criteria),
                criteria=criteria,
            )
        )
        return verification

    def apply(self, event: Any) -> None:
        match event:
            case ExitVerifiedV2():
                if self.concluded:
                    raise InvalidTransition("verification", "concluded", "conclude again")
                self.concluded = True
            case _:
                raise TypeError(f"ExitVerification cannot apply {type(event).__name__}")
