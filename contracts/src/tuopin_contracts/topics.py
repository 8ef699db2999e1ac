"""Kafka topic names. Each service publishes its own stream to exactly one topic."""

from enum import StrEnum


class Topic(StrEnum):
    REGISTRY = "tuopin.registry.events"
    LOANS = "tuopin.loans.events"
    TRAINING = "tuopin.training.events"
    EVALUATION = "tuopin.evaluation.events"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks what it cannot parse or handle: ``<topic>.dlq``."""
    return f"{topic}.dlq"
