"""Event-sourcing mechanics on the database: aggregates, the event store, read models."""
