"""Projections and use cases."""
