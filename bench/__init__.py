"""Benchmarks for Tuopin; run each module with ``python -m bench.<name>``."""
