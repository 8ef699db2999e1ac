"""The exit handshake: a household leaves poverty (脱贫销号) only on the evaluation
service's verdict, which arrives as an event; a failed verdict returns it to assistance
with the criteria it failed. The exit takes effect on the day the verdict judged the
household as of (the last day of its notice), not the day the verdict arrives."""

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.evaluation import ExitVerifiedV2
from tuopin_eventkit.store.projection import Delivered, Reaction
from tuopin_eventkit.store.store import EventStore
from tuopin_registry.application.commands import change_household
from tuopin_registry.domain.household import Household


def exit_verifications(store: EventStore) -> Reaction:
    """Applies verdicts to households; ``store`` is the registry's own event store."""
    policy = Reaction("registry.exit_verifications")

    @policy.on(ExitVerifiedV2)
    async def concluded(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for event in events:
            verdict: ExitVerifiedV2 = event.data
            with event.provenance():
                await change_household(
                    conn, store, str(verdict.household_id), None, _conclusion(verdict)
                )

    return policy


def _conclusion(verdict: ExitVerifiedV2) -> Callable[[Household], None]:
    """The household concludes its verification: passed, or with the criteria it failed."""
    failed = [c.name for c in verdict.criteria if not c.passed]
    return lambda h: h.conclude_verification(
        str(verdict.verification_id), verdict.passed, failed, verdict.as_of
    )
