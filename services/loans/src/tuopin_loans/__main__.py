from tuopin_loans.entrypoints.cli import app

app()
