"""`tuopin up` runs everything embedded; `tuopin <service> …` reaches each service's commands."""

import signal
import time
from pathlib import Path

import typer
from pydantic_settings import BaseSettings, SettingsConfigDict

from tuopin_cli.stack import Stack
from tuopin_evaluation.entrypoints.cli import app as evaluation
from tuopin_eventkit.auth import AuthSettings, Role, mint, principal
from tuopin_loans.entrypoints.cli import app as loans
from tuopin_registry.entrypoints.cli import app as registry
from tuopin_training.entrypoints.cli import app as training

app = typer.Typer(help="Tuopin (脱贫): targeted poverty alleviation", no_args_is_help=True)
app.add_typer(registry, name="registry")
app.add_typer(loans, name="loans")
app.add_typer(training, name="training")
app.add_typer(evaluation, name="evaluation")


@app.command()
def token(
    role: Role = typer.Option(..., help="The caller's role"),
    subject: str = typer.Option("developer", help="Who the token names (sub)"),
    region: str | None = typer.Option(None, help="Region-code prefix of a regional role"),
    org: str | None = typer.Option(None, help="Bank or training-centre id of a partner"),
    county: list[str] = typer.Option([], help="An evaluator's assigned county (repeat)"),
    minutes: int = typer.Option(480, help="Lifetime"),
) -> None:
    """Mint a bearer token with the embedded signing key (development and tests only;
    deployments take their tokens from the OIDC provider). The key is read like the
    services read it: TUOPIN_AUTH__SIGNING_KEY or the embedded default."""
    settings = TokenSettings().auth
    try:
        principal(  # the same checks the services apply
            {"sub": subject, "role": role, "region": region, "org": org, "counties": county}
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(
        mint(
            settings, subject, role, region=region, org=org, counties=tuple(county), minutes=minutes
        )
    )


class TokenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TUOPIN_", env_nested_delimiter="__")

    auth: AuthSettings = AuthSettings()


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
