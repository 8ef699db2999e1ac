"""Tuopin's event-sourcing kernel, written once and used by every service."""
