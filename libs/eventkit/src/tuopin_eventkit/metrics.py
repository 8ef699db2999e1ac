"""Prometheus metrics shared by every service (labelled by service, one process each)."""

from prometheus_client import Counter, Gauge, Histogram

REQUEST_SECONDS = Histogram(
    "tuopin_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
)
EVENTS_STORED = Gauge(
    "tuopin_events_stored", "Events committed to the event store (its head position)", ["relay"]
)
EVENTS_PUBLISHED = Counter(
    "tuopin_events_published_total", "Events the outbox relay published", ["relay"]
)
OUTBOX_LAG = Gauge("tuopin_outbox_lag_events", "Events appended but not yet published", ["relay"])
EVENTS_CONSUMED = Counter(
    "tuopin_events_consumed_total", "Events applied by a consumer", ["consumer", "outcome"]
)
CONSUMER_LAG = Gauge(
    "tuopin_consumer_lag_messages",
    "Messages behind the partition end",
    ["consumer", "topic", "partition"],
)
RELAY_GENERATION = Counter(
    "tuopin_relay_log_replaced_total",
    "Times the relay found its topic's log replaced and began republishing the store",
    ["relay"],
)
EVENTS_REPUBLISHED = Counter(
    "tuopin_events_republished_total",
    "Events published again into a replaced log (part of tuopin_events_published_total)",
    ["relay"],
)
LOG_RESETS = Counter(
    "tuopin_consumer_log_resets_total",
    "Partitions a consumer read again from the beginning because the log was replaced",
    ["consumer", "topic"],
)
DEAD_LETTERS = Gauge(
    "tuopin_dead_letters",
    "Messages on a dead-letter topic of a topic this service consumes (all its consumers')",
    ["topic"],
)
