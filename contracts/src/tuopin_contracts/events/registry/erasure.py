"""A person's deletion request honoured: the one event every service forgets them on."""

from uuid import UUID

from tuopin_contracts.catalogue import event_type
from tuopin_contracts.events.registry.filing import HouseholdFact
from tuopin_contracts.topics import Topic


@event_type("registry.household.person_erased.v1", topic=Topic.REGISTRY)
class PersonErasedV1(HouseholdFact):
    """A former member's deletion request was honoured: the registry destroyed the person's
    data key (crypto-shredding), so their number and every sealed detail in every event are
    unreadable for good. Every service forgets the person on this event: it drops what it
    keeps of them (identity hash, birth year and month, schooling, …) and keeps at most
    anonymous counts. ``reason`` cites the request."""

    person_id: UUID
