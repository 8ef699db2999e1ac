"""Reference data shipped with the registry: Gansu's administrative hierarchy (行政区划)."""
