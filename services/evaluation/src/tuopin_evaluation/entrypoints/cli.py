from tuopin_evaluation.entrypoints.app import spec
from tuopin_eventkit.cli import service_cli

app = service_cli(spec)
