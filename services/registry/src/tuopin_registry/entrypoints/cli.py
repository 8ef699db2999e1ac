from tuopin_eventkit.cli import service_cli
from tuopin_registry.entrypoints.app import spec

app = service_cli(spec)
