"""Each service's command line: serve, migrate, rebuild a projection."""

import asyncio

import typer
import uvicorn

from tuopin_eventkit import migrate as migrations
from tuopin_eventkit.service import Runtime, ServiceSpec, create_app


def service_cli(spec: ServiceSpec) -> typer.Typer:
    app = typer.Typer(help=f"{spec.title}", no_args_is_help=True)

    @app.command()
    def serve(
        host: str | None = typer.Option(None, help="Overrides the configured host"),
        port: int | None = typer.Option(None, help="Overrides the configured port"),
    ) -> None:
        """Run the HTTP API with its outbox relay and projections."""
        settings = spec.settings()  # type: ignore[call-arg]
        settings.host = host or settings.host
        settings.port = port or settings.port
        uvicorn.run(
            create_app(spec, settings),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
        )

    @app.command()
    def migrate(revision: str = typer.Argument("heads", help="Target revision")) -> None:
        """Bring the database schema up to a revision (all heads by default)."""

        async def run() -> None:
            runtime = Runtime.open(spec, spec.settings())  # type: ignore[call-arg]
            try:
                await migrations.upgrade(runtime.engine, spec.migrations, revision)
            finally:
                await runtime.engine.dispose()

        asyncio.run(run())
        typer.echo(f"{spec.name}: migrated to {revision}")

    @app.command()
    def rebuild(projection: str = typer.Argument(..., help="Projection name")) -> None:
        """Drop a read model and replay it from its source (stop the service first)."""

        async def run() -> int:
            runtime = Runtime.open(spec, spec.settings())  # type: ignore[call-arg]
            try:
                return await runtime.rebuild(spec.projection(projection))
            finally:
                await runtime.engine.dispose()

        try:
            applied = asyncio.run(run())
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from exc
        typer.echo(f"{projection}: rebuilt from zero, {applied} events applied")

    return app
