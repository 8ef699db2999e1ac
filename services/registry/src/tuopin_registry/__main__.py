from tuopin_registry.entrypoints.cli import app

app()
