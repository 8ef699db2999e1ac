"""Tuopin's contracts: what the services may know about each other and nothing more."""

from tuopin_contracts.catalogue import EventData, catalogue, event_type
from tuopin_contracts.envelope import Envelope
from tuopin_contracts.events import evaluation as _evaluation  # noqa: F401  (registers types)
from tuopin_contracts.events import loans as _loans  # noqa: F401  (registers types)
from tuopin_contracts.events import registry as _registry  # noqa: F401  (registers types)
from tuopin_contracts.events import training as _training  # noqa: F401  (registers types)
from tuopin_contracts.topics import Topic

__all__ = ["Envelope", "EventData", "Topic", "catalogue", "event_type"]
