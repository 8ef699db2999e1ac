from tuopin_eventkit.cli import service_cli
from tuopin_loans.entrypoints.app import spec

app = service_cli(spec)
