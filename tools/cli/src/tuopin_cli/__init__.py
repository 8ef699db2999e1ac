"""The `tuopin` command line: the embedded runner and every service's own commands."""
