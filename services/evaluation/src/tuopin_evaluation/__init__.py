"""Evaluation service: exit verification, roll-ups and county delisting (考评)."""
