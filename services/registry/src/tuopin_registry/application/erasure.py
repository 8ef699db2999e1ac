"""A person's erasure at their request (crypto-shredding): the event, the destroyed key,
the stored events and the stored answers blanked of them."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import registry as reg
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome, scrub
from tuopin_eventkit.store.store import EventStore
from tuopin_registry.application import people
from tuopin_registry.application.commands import change_household


async def erase_person(
    conn: AsyncConnection,
    store: EventStore,
    person_id: str,
    effective_date: date,
    reason: str,
) -> Outcome:
    """Honour a deletion request, all in one transaction: record the erasure in the
    person's household stream (its event tells every service to forget them), destroy
    their data key — their number and every sealed copy of their details, in the events,
    on the topic and in the read model, can never be opened again — blank what the stored
    events say of them in clear (identity hash, birth year and month), and scrub them from
    the answers stored for idempotent replays. The read model drops them on the event."""
    found = await people.person(conn, person_id)
    if found is None:
        raise NotFound(f"no person {person_id}")
    outcome = await change_household(
        conn,
        store,
        found.household_id,
        None,
        lambda h: h.erase_person(
            reg.PersonErasedV1(
                household_id=found.household_id,
                effective_date=effective_date,
                reason=reason,
                person_id=person_id,
            )
        ),
    )
    erased_at = datetime.now(UTC)
    await people.erase(conn, person_id, erased_at)
    await store.rewrite(conn, found.household_id, lambda _, data: _blanked(data, person_id))
    await scrub(conn, person_id, lambda answer: _scrubbed(answer, person_id))
    return Outcome(
        {
            "person_id": person_id,
            "household_id": found.household_id,
            "erased_at": erased_at.isoformat(),
            "household_version": outcome.body["version"],
        },
    )


# What the events say of a member in clear, blanked in place once they are erased.
BLANKED = {"id_number_hash": None, "birth_year": None, "birth_month": None, "sealed": None}
# What a stored answer says of a member, beyond their id and relation.
PERSONAL = frozenset(
    "name sex birth_year birth_month birth_date health id_number_masked has_disability "
    "disabled education schooling labour_ability medical_insurance pension_insurance".split()
)


def _blanked(data: dict[str, Any], person_id: str) -> dict[str, Any]:
    """An event's data with the person's clear facts blanked: in a filing's or a new
    member's entry, and a change's re-sealed details."""

    def blank(m: dict[str, Any]) -> dict[str, Any]:
        return {**m, **BLANKED} if m.get("person_id") == person_id else m

    if isinstance(data.get("members"), list):  # elsewhere "members" may be a count
        return {**data, "members": [blank(m) for m in data["members"]]}
    if isinstance(data.get("member"), dict):
        return {**data, "member": blank(data["member"])}
    if data.get("person_id") == person_id and data.get("sealed"):
        return {**data, "sealed": None}
    return data


def _scrubbed(answer: Any, person_id: str) -> Any:
    """A stored answer with everything it says of the person removed, but their id."""
    if isinstance(answer, list):
        return [_scrubbed(item, person_id) for item in answer]
    if not isinstance(answer, dict):
        return answer
    if answer.get("person_id") == person_id and PERSONAL & answer.keys():
        kept = {k: v for k, v in answer.items() if k not in PERSONAL}
        return {**kept, "erased": True}
    return {k: _scrubbed(v, person_id) for k, v in answer.items()}
