"""Kafka topic names. Each service publishes its own stream to exactly one topic."""

from enum import StrEnum
from functools import cache


class Topic(StrEnum):
    REGISTRY = "tuopin.registry.events"
    LOANS = "tuopin.loans.events"
    TRAINING = "tuopin.training.events"
    EVALUATION = "tuopin.evaluation.events"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)

    @property
    def owner(self) -> str:
        """The service that alone publishes to this topic."""
        return OWNERS[self]

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of every event on this topic: its owner's."""
        return f"/tuopin/{self.owner}"


# Who writes each event topic. A consumer takes an event only from its owner's topic, with
# its owner's source and of a type its owner publishes (the broker's ACLs say the same).
OWNERS: dict[Topic, str] = {
    Topic.REGISTRY: "registry",
    Topic.LOANS: "loans",
    Topic.TRAINING: "training",
    Topic.EVALUATION: "evaluation",
}


class Inbound(StrEnum):
    """Where partners post to a service, with the same bodies and idempotency keys as its
    HTTP endpoints: banks to loans, training centres to training."""

    BANK_POSTINGS = "tuopin.loans.bank-postings"
    CENTRE_POSTINGS = "tuopin.training.centre-postings"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)

    @property
    def owner(self) -> str:
        """The service that reads these postings (partners write them)."""
        return INTAKE_OWNERS[self]


INTAKE_OWNERS: dict[Inbound, str] = {
    Inbound.BANK_POSTINGS: "loans",
    Inbound.CENTRE_POSTINGS: "training",
}


@cache  # asked for every message a consumer reads, of a handful of topics
def owner_source(topic: str) -> str | None:
    """The CloudEvents source an event arriving on ``topic`` must carry; ``None`` when
    ``topic`` is no service's event topic (then no event on it is genuine)."""
    try:
        return Topic(topic).source
    except ValueError:
        return None


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks what it cannot parse or handle: ``<topic>.dlq``."""
    return f"{topic}.dlq"
