"""Composition root: the app factory and the command line."""
