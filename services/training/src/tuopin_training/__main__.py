from tuopin_training.entrypoints.cli import app

app()
