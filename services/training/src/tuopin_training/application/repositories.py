"""One repository per aggregate, and the ids of the records a centre names."""

from typing import TypeVar
from uuid import NAMESPACE_URL, uuid5

from tuopin_eventkit.store.aggregate import Aggregate
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore

# Records a centre names by its own reference get ids derived from (centre, reference), so
# the same record posted twice, by HTTP or Kafka, lands on the same stream.
NAMESPACE = uuid5(NAMESPACE_URL, "https://tuopin.gov.cn/training")


def record_id(centre_id: str, what: str, reference: str) -> str:
    return str(uuid5(NAMESPACE, f"{centre_id}/{what}/{reference}"))


A = TypeVar("A", bound=Aggregate)


def repository(store: EventStore, aggregate: type[A]) -> Repository[A]:
    """Streams are typed by the aggregate's name: centre, programme, enrolment, …"""
    return Repository(store, aggregate.__name__.lower(), aggregate)
