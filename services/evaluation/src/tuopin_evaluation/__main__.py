from tuopin_evaluation.entrypoints.cli import app

app()
