"""`tuopin up` runs everything embedded; `tuopin <service> …` reaches each service's commands."""

import signal
import time
from pathlib import Path

import typer

from tuopin_cli.stack import Stack
from tuopin_evaluation.entrypoints.cli import app as evaluation
from tuopin_loans.entrypoints.cli import app as loans
from tuopin_registry.entrypoints.cli import app as registry
from tuopin_training.entrypoints.cli import app as training

app = typer.Typer(help="Tuopin (脱贫): targeted poverty alleviation", no_args_is_help=True)
app.add_typer(registry, name="registry")
app.add_typer(loans, name="loans")
app.add_typer(training, name="training")
app.add_typer(evaluation, name="evaluation")


@app.command()
def up(
    var: Path = typer.Option(Path("var"), help="Folder for the SQLite files and logs"),
    kafka_port: int = typer.Option(9092, help="Port of the embedded Tansu broker"),
) -> None:
    """Run the whole system: Tansu broker, topics, the four services. Ctrl-C stops it all."""
    stack = Stack(var=var, kafka_port=kafka_port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        stack.up()
        typer.echo(f"Kafka (Tansu, in memory): 127.0.0.1:{kafka_port}")
        for service in stack.ports:
            typer.echo(f"{service:<11} {stack.url(service)}   docs: {stack.url(service)}/docs")
        typer.echo(f"Logs and SQLite files in {var}/. Ctrl-C stops everything.")
        while all(p.poll() is None for p in stack.processes.values()):
            time.sleep(0.5)
        typer.echo(f"a service stopped; see its log in {var}/", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        typer.echo("stopping…")
    except (RuntimeError, TimeoutError) as exc:
        typer.echo(f"cannot start: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        stack.down()
