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


class Inbound(StrEnum):
    """Where partners post to a service, with the same bodies and idempotency keys as its
    HTTP endpoints: banks to loans, training centres to training."""

    BANK_POSTINGS = "tuopin.loans.bank-postings"
    CENTRE_POSTINGS = "tuopin.training.centre-postings"

    @property
    def dlq(self) -> str:
        return dead_letter_topic(self.value)


def dead_letter_topic(topic: str) -> str:
    """Where a consumer parks what it cannot parse or handle: ``<topic>.dlq``."""
    return f"{topic}.dlq"
