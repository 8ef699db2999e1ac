"""The exit handshake: a household leaves poverty (脱贫销号) only on the evaluation
service's verdict, which arrives as an event; a failed verdict returns it to assistance
with the criteria it failed. The exit takes effect on the day the verdict judged the
household as of (the last day of its notice), not the day the verdict arrives."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.evaluation import ExitVerifiedV2
from tuopin_eventkit.projection import Delivered, Reaction
from tuopin_eventkit.store import EventStore
from tuopin_registry.application.commands import change_household


def exit_verifications(store: EventStore) -> Reaction:
    """Applies verdicts to households; ``store`` is the registry's own event store."""
    policy = Reaction("registry.exit_verifications")

    @policy.on(ExitVerifiedV2)
    async def concluded(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for event in events:
            verdict: ExitVerifiedV2 = event.data
            failed = [c.name for c in verdict.criteria if not c.passed]
            with event.provenance():
                await change_household(
                    conn,
                    store,
                    str(verdict.household_id),
                    None,
                    lambda h, v=verdict, f=failed: h.conclude_verification(
                        str(v.verification_id), v.passed, f, v.as_of
                    ),
                )

    return policy
