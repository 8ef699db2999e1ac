"""Return-to-poverty warnings (返贫预警): raised from the registry's facts about exited
households, then worked by the county — acknowledged by a cadre with measures, closed as
resolved, or closed as returned when the registry lists the household again. A warning's
id derives from the event that caused it, so a replay never raises it twice.

The county's work list is an inline read model of these events, written in the appending
transaction; it keeps each step's business date and recording instant, so the list and the
roll-ups' open-warning counts answer as of a day and as known at an instant.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import today
from tuopin_contracts.events import evaluation as ev
from tuopin_contracts.regions import region_prefix
from tuopin_evaluation.application.facts import households, recorded
from tuopin_evaluation.domain import return_watch as rw
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.db import prefixed, recorded_by
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.projection import Delivered, Projection, update_each
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore


def watches(store: EventStore) -> Repository[rw.ReturnWatch]:
    return Repository(store, "return-watch", rw.ReturnWatch)


def _stream(household_id: str) -> str:
    return f"return-watch-{household_id}"


# --- raising and closing on the registry's facts (called by the reaction) -----------------


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
    stream = _stream(household_id)
    watch = await repository.get(conn, stream) or rw.ReturnWatch(stream)
    warning_id = str(uuid5(NAMESPACE_URL, f"tuopin:return-warning:{cause.envelope.id}"))
    with cause.provenance():
        watch.warn(warning_id, household_id, cause.data.effective_date, reasons)
        await repository.save(conn, watch)


async def close_on_return(conn: AsyncConnection, store: EventStore, cause: Delivered) -> None:
    """The registry listed the household again (返贫): its warnings are answered."""
    household_id = str(cause.data.household_id)
    repository = watches(store)
    watch = await repository.get(conn, _stream(household_id))
    if watch is None:
        return
    with cause.provenance():
        watch.returned(household_id, cause.data.effective_date, cause.data.cause)
        await repository.save(conn, watch)


# --- the county's commands ----------------------------------------------------------------


async def _watch_of(
    conn: AsyncConnection, store: EventStore, warning_id: str
) -> tuple[rw.ReturnWatch, str]:
    """The household's watch that holds the warning, and the household."""
    w = warnings.c
    household_id = await conn.scalar(select(w.household_id).where(w.warning_id == warning_id))
    watch = household_id and await watches(store).get(conn, _stream(household_id))
    if not household_id or not watch:
        raise NotFound(f"no return warning {warning_id}")
    return watch, household_id


async def acknowledge(
    conn: AsyncConnection,
    store: EventStore,
    warning_id: str,
    acknowledged_on: date,
    cadre_name: str,
    cadre_unit: str,
    measures: list[str],
) -> Outcome:
    watch, household_id = await _watch_of(conn, store, warning_id)
    watch.acknowledge(warning_id, household_id, acknowledged_on, cadre_name, cadre_unit, measures)
    await watches(store).save(conn, watch)
    return Outcome(await _view(conn, warning_id))


async def close(
    conn: AsyncConnection, store: EventStore, warning_id: str, closed_on: date, reason: str
) -> Outcome:
    watch, household_id = await _watch_of(conn, store, warning_id)
    watch.resolve(warning_id, household_id, closed_on, reason)
    await watches(store).save(conn, watch)
    return Outcome(await _view(conn, warning_id))


# --- the work list (inline read model) ----------------------------------------------------

metadata = MetaData()

warnings = Table(
    "return_warnings",
    metadata,
    Column("warning_id", String(36), primary_key=True),
    columns.household_id(nullable=False, index=True),
    Column("raised_on", Date, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("raised_recorded_at", DateTime(timezone=True), nullable=False),
    Column("acknowledged_on", Date),
    Column("cadre_name", String(50)),
    Column("cadre_unit", String(200)),
    Column("measures", JSON),
    Column("acknowledged_recorded_at", DateTime(timezone=True)),
    Column("closed_on", Date),
    Column("outcome", String(20)),
    Column("closure_reason", String),
    Column("closed_recorded_at", DateTime(timezone=True)),
)


def warning_list() -> Projection:
    projection = Projection("evaluation.return_warnings", tables=[warnings])

    @projection.on(ev.ReturnWarningRaisedV1)
    async def raised(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        rows = [
            {
                "warning_id": str(e.data.warning_id),
                "household_id": str(e.data.household_id),
                "raised_on": e.data.raised_on,
                "reasons": e.data.reasons,
                "raised_recorded_at": recorded(e),
            }
            for e in events
        ]
        await upsert(conn, warnings, rows, keys=["warning_id"])

    @projection.on(ev.ReturnWarningAcknowledgedV1)
    async def acknowledged(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await update_each(
            conn,
            warnings,
            events,
            lambda d, time: {
                "acknowledged_on": d.acknowledged_on,
                "cadre_name": d.cadre_name,
                "cadre_unit": d.cadre_unit,
                "measures": d.measures,
                "acknowledged_recorded_at": time.astimezone(UTC),
            },
        )

    @projection.on(ev.ReturnWarningClosedV1)
    async def closed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        await update_each(
            conn,
            warnings,
            events,
            lambda d, time: {
                "closed_on": d.closed_on,
                "outcome": d.outcome,
                "closure_reason": d.reason,
                "closed_recorded_at": time.astimezone(UTC),
            },
        )

    return projection


def _steps(day: date, known_at: datetime | None) -> tuple[Any, Any, Any]:
    """Of the warnings raised by ``day`` and recorded by ``known_at``: whether each had
    been acknowledged, and whether closed, by then."""
    w = warnings.c
    raised = and_(w.raised_on <= day, recorded_by(w.raised_recorded_at, known_at))
    acknowledged = and_(w.acknowledged_on <= day, recorded_by(w.acknowledged_recorded_at, known_at))
    closed = and_(w.closed_on <= day, recorded_by(w.closed_recorded_at, known_at))
    return raised, acknowledged, closed


def _list_query(day: date, known_at: datetime | None) -> Any:
    w, h = warnings.c, households.c
    raised, acknowledged, closed = _steps(day, known_at)
    status = case((closed, rw.CLOSED), (acknowledged, rw.ACKNOWLEDGED), else_=rw.OPEN)
    since = case((closed, w.closed_on), (acknowledged, w.acknowledged_on), else_=w.raised_on)
    return (
        select(
            warnings,
            h.county_code,
            h.village_code,
            status.label("status"),
            since.label("since"),
            case((acknowledged, True), else_=False).label("acknowledged"),
        )
        .select_from(warnings.join(households, h.household_id == w.household_id))
        .where(raised)
    )


def _item(row: Any) -> dict[str, Any]:
    return {
        "warning_id": row.warning_id,
        "household_id": row.household_id,
        "county_code": row.county_code,
        "village_code": row.village_code,
        "reasons": row.reasons,
        "raised_on": row.raised_on,
        "status": row.status,
        "since": row.since,
        "acknowledgement": {
            "acknowledged_on": row.acknowledged_on,
            "cadre_name": row.cadre_name,
            "cadre_unit": row.cadre_unit,
            "measures": row.measures,
        }
        if row.acknowledged
        else None,
        "closure": {
            "closed_on": row.closed_on,
            "outcome": row.outcome,
            "reason": row.closure_reason,
        }
        if row.status == rw.CLOSED
        else None,
    }


@dataclass(frozen=True)
class WarningList:
    region: str | None
    status: str | None
    as_of: date
    known_at: datetime | None
    items: list[dict[str, Any]]


async def work_list(
    conn: AsyncConnection,
    region: str | None,
    status: str | None,
    as_of: date | None = None,
    known_at: datetime | None = None,
) -> WarningList:
    """The warnings raised in ``region`` by ``as_of`` (default today) as recorded by
    ``known_at``, each with its status then, oldest first."""
    day = as_of or today()
    query = _list_query(day, known_at).subquery()
    rows = await conn.execute(
        select(query)
        .where(true() if region is None else prefixed(query.c.village_code, region_prefix(region)))
        .where(true() if status is None else query.c.status == status)
        .order_by(query.c.raised_on, query.c.warning_id)
    )
    return WarningList(region, status, day, known_at, [_item(r) for r in rows])


async def _view(conn: AsyncConnection, warning_id: str) -> dict[str, Any]:
    """The warning as it stands after a command: every step taken, whatever its date."""
    query = _list_query(date.max, None).where(warnings.c.warning_id == warning_id)
    return _item((await conn.execute(query)).one())


async def open_by_village(
    conn: AsyncConnection, prefix: str, as_of: date | None, known_at: datetime | None
) -> dict[str, int]:
    """village → warnings raised and not yet closed (open or acknowledged) on ``as_of``
    (default today), as recorded by ``known_at``."""
    raised, _, closed = _steps(as_of or today(), known_at)
    h = households.c
    rows = await conn.execute(
        select(h.village_code, func.count())
        .select_from(warnings.join(households, h.household_id == warnings.c.household_id))
        .where(
            raised, or_(~closed, warnings.c.closed_on.is_(None)), prefixed(h.village_code, prefix)
        )
        .group_by(h.village_code)
    )
    return {code: int(n) for code, n in rows}
