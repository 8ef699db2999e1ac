"""Dynamic management (有进有出) as a state machine: which statuses each lifecycle command
may start from, and how long an exit stays on public notice."""

from tuopin_contracts.vocabulary import HouseholdStatus

S = HouseholdStatus

# 公示: a proposed exit is on public notice for at least a week before it can take effect.
MINIMUM_NOTICE_DAYS = 7

# Which statuses each lifecycle command may start from.
LIFECYCLE: dict[str, frozenset[HouseholdStatus]] = {
    "start assistance": frozenset({S.IDENTIFIED, S.RETURNED}),
    "propose exit": frozenset({S.ASSISTING}),
    "publicise exit": frozenset({S.EXIT_PROPOSED}),
    "confirm or reject exit": frozenset({S.EXIT_PUBLICISED}),
    "record an exit verified before the register": frozenset({S.ASSISTING}),
    "return to poverty": frozenset({S.EXITED}),
    "annul a mistaken exit": frozenset({S.EXITED}),
    "remove as wrongly identified": frozenset(
        {S.IDENTIFIED, S.ASSISTING, S.EXIT_PROPOSED, S.EXIT_PUBLICISED, S.RETURNED}
    ),
}
