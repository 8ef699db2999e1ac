"""Commands and queries: the registry's use cases."""
