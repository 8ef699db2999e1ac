"""Each service's command line: serve, migrate, rebuild a projection."""

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from tuopin_eventkit import migrate as migrations
from tuopin_eventkit.consumer import ProgressCallback, RebuildRefused
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
        try:
            chosen = spec.projection(projection)
        except KeyError as exc:
            raise typer.BadParameter(str(exc.args[0])) from exc

        async def run(progress: ProgressCallback) -> int:
            runtime = Runtime.open(spec, spec.settings())  # type: ignore[call-arg]
            try:
                return await runtime.rebuild(chosen, progress)
            finally:
                await runtime.engine.dispose()

        started = time.perf_counter()
        try:
            with rebuild_progress(projection) as bar:
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

    return app


class _Rate(ProgressColumn):
    """Events per second: the recent rate while running, the overall rate once finished."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed or 0:,.0f} events/s", style="progress.data.speed")


class _Bar:
    """The progress callback the kernel calls with ``(done, total)``, drawn by rich."""

    PLAIN_EVERY = 10.0  # seconds between plain lines when the output is not a terminal

    def __init__(self, progress: Progress, name: str) -> None:
        self.progress, self.name = progress, name
        self.task = progress.add_task(name, total=None)
        self.done, self.total = 0, 0
        self.started = self.printed = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self.progress.update(self.task, completed=done, total=total)
        now = time.perf_counter()
        if not self.progress.console.is_interactive and now - self.printed >= self.PLAIN_EVERY:
            self.printed = now
            rate = done / (now - self.started)
            self.progress.console.print(
                f"{self.name}: {done:,}/{total:,} events, {rate:,.0f} events/s", highlight=False
            )


@contextmanager
def rebuild_progress(name: str) -> Iterator[_Bar]:
    """A progress bar on stderr (events, rate, elapsed, remaining) for a rebuild. Where
    stderr is no terminal (a job's log) it prints a plain line every few seconds instead,
    and the final bar once."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )
    with progress:
        yield _Bar(progress, name)
