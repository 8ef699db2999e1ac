"""Gansu's administrative hierarchy (行政区划), as the registry names it: the table itself is
shared reference data in ``tuopin_contracts.reference``."""
