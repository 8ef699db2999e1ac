"""Raising return-to-poverty warnings (返贫预警) from the registry's facts about exited
households, published on evaluation's topic. A warning's id derives from the event that
caused it, so a replay never raises it twice."""

from dataclasses import asdict
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts import EventData
from tuopin_contracts.events.evaluation import ReturnWarningRaisedV1
from tuopin_evaluation.application.facts import households
from tuopin_evaluation.domain.return_watch import ReturnWarningRaised, ReturnWatch
from tuopin_eventkit.projection import Delivered
from tuopin_eventkit.repository import Repository
from tuopin_eventkit.store import EventStore


def _to_contract(event: ReturnWarningRaised) -> EventData:
    return ReturnWarningRaisedV1.model_validate(asdict(event))


def _to_domain(event: EventData) -> ReturnWarningRaised:
    data = event.model_dump(mode="json")
    return ReturnWarningRaised(**data | {"raised_on": date.fromisoformat(data["raised_on"])})


def watches(store: EventStore) -> Repository[ReturnWatch]:
    return Repository(store, "return-watch", ReturnWatch, _to_contract, _to_domain)


async def warn_if_exited(
    conn: AsyncConnection, store: EventStore, cause: Delivered, reasons: list[str]
) -> None:
    if not reasons:  # the common case, decided without a query
        return
    household_id = str(cause.data.household_id)
    status = await conn.scalar(
        select(households.c.status).where(households.c.household_id == household_id)
    )
    if status != "exited":
        return
    repository = watches(store)
    stream = f"return-watch-{household_id}"
    watch = await repository.get(conn, stream) or ReturnWatch(stream)
    warning_id = str(uuid5(NAMESPACE_URL, f"tuopin:return-warning:{cause.envelope.id}"))
    with cause.provenance():
        watch.warn(warning_id, household_id, cause.data.effective_date, reasons)
        await repository.save(conn, watch)
