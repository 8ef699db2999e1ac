"""The exit handshake: a household leaves poverty (脱贫销号) only on the evaluation
service's verdict, which arrives as an event; a failed verdict returns it to assistance
with the criteria it failed."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import business_date
from tuopin_contracts.events.evaluation import ExitVerifiedV1
from tuopin_eventkit.projection import Delivered, Reaction
from tuopin_eventkit.store import EventStore
from tuopin_registry.application.commands import change_household


def exit_verifications(store: EventStore) -> Reaction:
    """Applies verdicts to households; ``store`` is the registry's own event store."""
    policy = Reaction("registry.exit_verifications")

    @policy.on(ExitVerifiedV1)
    async def concluded(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for event in events:
            verdict: ExitVerifiedV1 = event.data
            failed = [c.name for c in verdict.criteria if not c.passed]
            with event.provenance():
                await change_household(
                    conn,
                    store,
                    str(verdict.household_id),
                    None,
                    lambda h, v=verdict, f=failed, e=event: h.conclude_verification(
                        str(v.verification_id), v.passed, f, business_date(e.envelope.time)
                    ),
                )

    return policy
