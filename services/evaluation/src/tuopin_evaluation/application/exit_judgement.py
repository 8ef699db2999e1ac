"""What the registry's facts cause in evaluation: an exit put on notice is judged and the
verdict published (for the registry to exit the household or send it back), and a fall
back below the line or a new shock to an exited household raises a return warning
(返贫预警), which the household's return to poverty closes.

A reaction, not a read model: it runs once per source event and what it decides is in
evaluation's event store; a rebuild of the household facts never judges again. It reads
those facts, so each batch waits until ``evaluation.households`` has applied it.
"""

from collections.abc import Sequence
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_evaluation.application import reference
from tuopin_evaluation.application.return_watch import close_on_return, warn_if_exited
from tuopin_evaluation.application.verdicts import judge_exit
from tuopin_evaluation.domain.return_watch import income_shortfall, new_shocks
from tuopin_eventkit.store.projection import Delivered, Reaction
from tuopin_eventkit.store.store import EventStore


def exit_judgement(store: EventStore) -> Reaction:
    """The reaction; ``store`` is evaluation's own, where verdicts and warnings go."""
    reaction = Reaction("evaluation.exit_judgement", after="evaluation.households")

    @reaction.on(reg.ExitPublicisedV1)
    async def publicised(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for e in events:
            # One verdict per notice, whatever redelivers it: its id derives from the notice's.
            verification_id = str(uuid5(NAMESPACE_URL, f"tuopin:exit-notice:{e.envelope.id}"))
            # Judged as of the notice's last day: the exit takes effect once the notice has
            # passed without objection (公示无异议后公告退出), however late this runs.
            with e.provenance():
                await judge_exit(
                    conn, store, verification_id, str(e.data.household_id), e.data.notice_until
                )

    async def earned(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for e in events:
            line = reference.poverty_lines().fen(e.data.year)
            shortfall = income_shortfall(e.data.per_head, line, e.data.year)
            await warn_if_exited(conn, store, e, shortfall)

    for kind in reg.INCOMES:  # a correction can reveal a fall below the line, too
        reaction.on(kind)(earned)

    @reaction.on(reg.CausesRecordedV1)
    async def causes(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for e in events:
            shocks = new_shocks([e.data.primary_cause, *e.data.secondary_causes])
            await warn_if_exited(conn, store, e, shocks)

    @reaction.on(reg.ReturnedToPovertyV1)
    async def returned(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        for e in events:
            await close_on_return(conn, store, e)

    return reaction
