"""The embedded stack's ports, from one base N: the services on N+1..N+4, the broker on
N+1092. Kept apart from ``stack`` (httpx, Kafka) so `tuopin --help` imports only this."""

DEFAULT_PORT_BASE = 8000
KAFKA_OFFSET = 1092  # the broker's port above the base: 9092 for the default base


def service_ports(base: int = DEFAULT_PORT_BASE) -> dict[str, int]:
    """registry, loans, training, evaluation on base+1 … base+4."""
    names = ("registry", "loans", "training", "evaluation")
    return {name: base + i for i, name in enumerate(names, start=1)}


def broker_port(base: int = DEFAULT_PORT_BASE) -> int:
    return base + KAFKA_OFFSET


SERVICES = service_ports()
