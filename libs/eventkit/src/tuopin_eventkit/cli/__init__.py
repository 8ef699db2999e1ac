"""Each service's command line: serve, migrate, rebuild a projection, and the operator's
views: ``status`` (relay and consumer lag, dead letters) and ``dlq`` (list, show, redrive)."""

import asyncio
import gc
import json
import time

import typer
import uvicorn

from tuopin_eventkit import migrate as migrations
from tuopin_eventkit.cli import terminal
from tuopin_eventkit.cli.dead_letters import dead_letter_cli
from tuopin_eventkit.messaging.consumer import ProgressCallback, RebuildRefused
from tuopin_eventkit.settings import DevelopmentKeys, refuse_development_keys
from tuopin_eventkit.web.hardening import server_options
from tuopin_eventkit.web.runtime import Runtime, ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_eventkit.web.status import Status, gather


def service_cli(spec: ServiceSpec) -> typer.Typer:
    app = typer.Typer(help=f"{spec.title}", no_args_is_help=True)

    @app.command()
    def serve(
        host: str | None = typer.Option(None, help="覆盖配置的主机。Overrides the configured host"),
        port: int | None = typer.Option(None, help="覆盖配置的端口。Overrides the configured port"),
    ) -> None:
        """运行 HTTP 接口。Run the HTTP API.

        连同发件箱转发和投影。With its outbox relay and projections."""
        settings = spec.settings()
        settings.host = host or settings.host
        settings.port = port or settings.port
        try:
            refuse_development_keys(settings)
        except DevelopmentKeys as refused:
            typer.echo(f"{spec.name}: refusing to start: {refused}", err=True)
            raise typer.Exit(2) from refused
        app = create_app(spec, settings)
        app.openapi()  # built now, with the rest of what lives as long as the process
        # Left out of the garbage collector's passes: a full pass over the modules, routes
        # and schemas took 60 ms, and every request waiting behind it waited that long.
        gc.freeze()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            **server_options(settings),
        )

    @app.command()
    def migrate(revision: str = typer.Argument("heads", help="目标版本。Target revision")) -> None:
        """升级数据库结构。Migrate the database schema.

        升级到指定版本（默认全部最新）。Up to a revision (all heads by default)."""

        async def run() -> None:
            runtime = Runtime.open(spec, spec.settings())
            try:
                await migrations.upgrade(runtime.engine, spec.migrations, revision)
            finally:
                await runtime.engine.dispose()

        asyncio.run(run())
        typer.echo(f"{spec.name}: migrated to {revision}")

    @app.command()
    def rebuild(
        projection: str = typer.Argument(..., help="投影（读模型）名称。Projection name"),
    ) -> None:
        """重建读模型。Rebuild a read model.

        删除读模型并从事件源重放（须先停止服务）。Drop a read model and replay it from
        its source (stop the service first)."""
        try:
            chosen = spec.projection(projection)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from exc

        async def run(progress: ProgressCallback) -> int:
            runtime = Runtime.open(spec, spec.settings())
            try:
                return await runtime.rebuild(chosen, progress)
            finally:
                await runtime.engine.dispose()

        started = time.perf_counter()
        try:
            with terminal.rebuild_progress(projection) as bar:
                applied = asyncio.run(run(bar))
        except RebuildRefused as refused:
            typer.echo(f"{projection}: rebuild refused: {refused}", err=True)
            raise typer.Exit(1) from refused
        seconds = max(time.perf_counter() - started, 1e-6)
        read = bar.done
        typer.echo(
            f"{projection}: rebuilt from zero, {applied} events applied "
            f"({read:,} read in {seconds:.1f} s, {read / seconds:,.0f} events/s)"
        )

    @app.command()
    def status(
        as_json: bool = typer.Option(False, "--json", help="供程序读取的 JSON。JSON for machines"),
    ) -> None:
        """延迟与死信。Lags and dead letters.

        转发延迟、各分区消费延迟、各死信队列的死信数（服务可在运行）。Relay lag, consumer
        lag per partition, dead letters per DLQ (service may run)."""

        async def run() -> Status:
            runtime = Runtime.open(spec, spec.settings())
            try:
                return await gather(runtime)
            finally:
                await runtime.engine.dispose()

        figures = asyncio.run(run())
        if as_json:
            typer.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
        else:
            terminal.print_status(figures)
        for error in figures.errors:
            typer.echo(f"{spec.name}: cannot reach the {error}", err=True)
        if figures.errors:
            raise typer.Exit(1)

    app.add_typer(dead_letter_cli(spec), name="dlq")
    return app
