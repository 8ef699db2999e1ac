"""Projections and queries over what the other services publish."""
