"""The training office's commands (人社/扶贫部门): accrediting centres and opening
programmes. Each loads its aggregate, lets it decide and saves, in the caller's transaction."""

from datetime import date
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import training as tr
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import EventStore
from tuopin_training.application.repositories import repository
from tuopin_training.domain.centre import Centre
from tuopin_training.domain.programme import Programme


def centre_view(centre: Centre) -> dict[str, Any]:
    return {
        "centre_id": centre.id,
        "name": centre.name,
        "county_code": centre.county_code,
        "terms": [
            {
                "valid_from": t.valid_from,
                "valid_until": t.valid_until,
                "occupations": [vars(o) for o in t.occupations.values()],
            }
            for t in centre.terms
        ],
        "withdrawn_on": centre.withdrawn_on,
        "version": centre.version,
    }


def missing_centre(centre_id: str) -> str:
    return f"no training centre {centre_id}"


async def centre(conn: AsyncConnection, store: EventStore, centre_id: str) -> Centre:
    """An accredited centre (or one that was); NotFound if none."""
    missing = missing_centre(centre_id)
    return await repository(store, Centre).existing(conn, centre_id, missing=missing)


def _decision(centre_id: str, terms: dict[str, Any]) -> tr.CentreAccreditedV1:
    occupations = [tr.Accreditation(**o) for o in terms.pop("occupations")]
    return tr.CentreAccreditedV1(centre_id=centre_id, occupations=occupations, **terms)


async def accredit(conn: AsyncConnection, store: EventStore, terms: dict[str, Any]) -> Outcome:
    centre = Centre.accredit(_decision(str(uuid4()), dict(terms)))
    await repository(store, Centre).save(conn, centre)
    return Outcome(centre_view(centre), created=True)


async def reaccredit(
    conn: AsyncConnection,
    store: EventStore,
    centre_id: str,
    expected: int | None,
    terms: dict[str, Any],
) -> Outcome:
    centre, _ = await repository(store, Centre).change(
        conn,
        centre_id,
        lambda c: c.reaccredit(_decision(centre_id, dict(terms))),
        expected=expected,
        missing=missing_centre(centre_id),
    )
    return Outcome(centre_view(centre))


async def withdraw(
    conn: AsyncConnection,
    store: EventStore,
    centre_id: str,
    expected: int | None,
    withdrawn_on: date,
    reason: str,
) -> Outcome:
    withdrawal = tr.AccreditationWithdrawnV1(
        centre_id=centre_id, withdrawn_on=withdrawn_on, reason=reason
    )
    centre, _ = await repository(store, Centre).change(
        conn,
        centre_id,
        lambda c: c.withdraw(withdrawal),
        expected=expected,
        missing=missing_centre(centre_id),
    )
    return Outcome(centre_view(centre))


async def open_programme(
    conn: AsyncConnection, store: EventStore, details: dict[str, Any]
) -> Outcome:
    centre_id = str(details.pop("centre_id"))
    issuer = await centre(conn, store, centre_id)
    kind = tr.ProgrammeKind(details.pop("kind"))
    opening = tr.ProgrammeOpenedV1(
        centre_id=centre_id, programme_id=str(uuid4()), kind=kind, **details
    )
    programme = Programme.open(opening, issuer)
    await repository(store, Programme).save(conn, programme)
    return Outcome({**vars(programme.opened), "version": programme.version}, created=True)
