"""Kafka: clients, the embedded broker, the outbox relay, consumers, dead letters."""
