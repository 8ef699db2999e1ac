"""Each service's command line: serve, migrate, rebuild a projection, and the operator's
views: ``status`` (relay and consumer lag, dead letters) and ``dlq`` (list, show, redrive)."""

import asyncio
import gc
import json
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.json import JSON
from rich.padding import Padding
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
from rich.table import Table
from rich.text import Text

from tuopin_eventkit import migrate as migrations
from tuopin_eventkit.messaging import dlq
from tuopin_eventkit.messaging.consumer import ProgressCallback, RebuildRefused
from tuopin_eventkit.settings import DevelopmentKeys, refuse_development_keys
from tuopin_eventkit.web.hardening import server_options
from tuopin_eventkit.web.runtime import Runtime, ServiceSpec
from tuopin_eventkit.web.service import create_app
from tuopin_eventkit.web.status import Status, gather

T = TypeVar("T")


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
            _print_status(figures)
        for error in figures.errors:
            typer.echo(f"{spec.name}: cannot reach the {error}", err=True)
        if figures.errors:
            raise typer.Exit(1)

    app.add_typer(dead_letter_cli(spec), name="dlq")
    return app


def dead_letter_cli(spec: ServiceSpec) -> typer.Typer:
    """``tuopin <service> dlq …``: the dead letters of this service's consumers."""
    app = typer.Typer(
        help="死信（<topic>.dlq）：列出、查看、重投。Dead letters (<topic>.dlq): list, show, "
        f"redrive.\n\n{spec.name} 各消费者的死信。Of {spec.name}'s consumers.",
        no_args_is_help=True,
    )
    topic_option = typer.Option(
        None,
        "--topic",
        help="服务消费的主题（或其 .dlq），默认全部。A topic the service consumes (or its .dlq); "
        "default: all",
    )

    def settings() -> Any:
        return spec.settings().kafka

    def letters(topic: str | None) -> list[dlq.DeadLetter]:
        try:
            topics = dlq.chosen_topics(spec, topic)
        except LookupError as exc:
            raise typer.BadParameter(str(exc.args[0]), param_hint="--topic") from exc
        return _broker(dlq.read(settings(), topics, dlq.consumer_names(spec)))

    @app.command("list")
    def list_(
        topic: str | None = topic_option,
        limit: int = typer.Option(50, min=1, help="只看最新的 N 条。Only the newest N"),
        as_json: bool = typer.Option(False, "--json", help="供程序读取的 JSON。JSON for machines"),
    ) -> None:
        """列出死信。List the dead letters.

        每条死信的偏移量、键、时间、消费者、原因和来源，最早的在前。Offset, key, when,
        consumer, reason and origin of each dead letter, oldest first."""
        shown = letters(topic)[-limit:]
        if as_json:
            typer.echo(_json([letter.summary() for letter in shown]))
            return
        columns = ("topic", "at", "key", "when", "consumer", "reason", "origin")
        table = _table(f"{spec.name}: {len(shown)} dead letter(s)", columns)
        for d in shown:
            when = f"{d.when:%Y-%m-%d %H:%M:%S}"
            table.add_row(*_cells(d.topic, d.at, _key(d), when, d.consumer, d.reason, d.origin))
        Console().print(table)

    @app.command()
    def show(
        ref: str = typer.Argument(
            ..., metavar="OFFSET", help="偏移量，或 分区:偏移量。OFFSET, or PARTITION:OFFSET"
        ),
        topic: str | None = topic_option,
        as_json: bool = typer.Option(False, "--json", help="供程序读取的 JSON。JSON for machines"),
    ) -> None:
        """查看一条死信。Show one dead letter.

        全部内容：消息头和值（凭据类消息头从不显示）。In full: headers and value
        (credential headers never shown)."""
        letter = _pick(letters(topic), ref)
        full = letter.full()
        if as_json:
            typer.echo(_json(full))
            return
        console = Console(highlight=False)
        for name in ("topic", "partition", "offset", "key", "when", "consumer", "reason", "origin"):
            console.print(Text.assemble((name, "bold"), f": {full[name]}"))
        console.print(Text("headers:", "bold"))
        for name, value in full["headers"]:
            _print_value(console, f"  {name}", value)
        if full["withheld_headers"]:
            console.print(Text(f"  (withheld: {', '.join(full['withheld_headers'])})", "dim"))
        _print_value(console, Text("value", "bold"), full["value"])

    @app.command()
    def redrive(
        refs: list[str] = typer.Option(
            [],
            "--offset",
            metavar="OFFSET",
            help="偏移量或 分区:偏移量（可重复）。OFFSET or PARTITION:OFFSET (repeat)",
        ),
        every: bool = typer.Option(
            False, "--all", help="主题的全部死信。Every dead letter of the topic(s)"
        ),
        topic: str | None = topic_option,
        token: str | None = typer.Option(
            None,
            help="重投合作方报送所用的 Bearer 令牌（死信不保留令牌，接收端逐条核验）。"
            "Bearer token for re-driven partner postings: the DLQ keeps no token and the "
            "intake checks every posting's (the partner's own; embedded: `tuopin token`)",
        ),
        as_json: bool = typer.Option(False, "--json", help="供程序读取的 JSON。JSON for machines"),
    ) -> None:
        """重投死信。Redrive dead letters.

        原因修复后，把死信重新发布到原主题。Publish dead letters again on their original
        topic, once the cause is fixed.

        Safe to repeat: projections dedupe on the CloudEvents source and id, intakes on
        the idempotency key, so a message re-driven twice counts once. The message goes
        without the DLQ's headers (error, consumer, origin, problem), with `redriven-from`."""
        if every == bool(refs):
            raise typer.BadParameter("give --offset (one or more) or --all")
        found = letters(topic)
        chosen = found if every else [_pick(found, ref) for ref in dict.fromkeys(refs)]
        intake = str(spec.intake.topic) if spec.intake is not None else None
        authorization: dict[str, str] = {}
        if intake is not None and any(d.source_topic == intake for d in chosen):
            if token is None:
                raise typer.BadParameter(
                    f"dead letters of {intake} carry no token: give the partner's",
                    param_hint="--token",
                )
            authorization[intake] = f"Bearer {token.removeprefix('Bearer ').strip()}"
        sent = _broker(dlq.redrive(settings(), chosen, authorization))
        if as_json:
            typer.echo(_json([r.summary() for r in sent]))
            return
        table = _table(f"{spec.name}: {len(sent)} re-driven", ("from", "to", "key", "reason"))
        for r in sent:
            row = r.summary()
            table.add_row(*_cells(row["from"], row["to"], row["key"], row["reason"]))
        Console().print(table)

    return app


def _pick(letters: list[dlq.DeadLetter], ref: str) -> dlq.DeadLetter:
    try:
        return dlq.pick(letters, ref)
    except LookupError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="OFFSET") from exc


def _broker(work: Coroutine[Any, Any, T]) -> T:
    """Run it; a broker out of reach is a one-line error, not a traceback."""
    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(work)
    except (KafkaError, OSError) as exc:
        typer.echo(f"cannot reach the broker: {exc!r}", err=True)
        raise typer.Exit(2) from exc


def _key(letter: dlq.DeadLetter) -> str | None:
    return None if letter.key is None else letter.key.decode(errors="replace")


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def _table(title: str, columns: tuple[str, ...], numeric: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column in numeric else "left")
    return table


def _cells(*values: object) -> list[Text]:
    """Table cells as plain text: a reason like ``ValueError('[x]')`` is no rich markup."""
    return [Text("" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in values]


def _print_value(console: Console, label: str | Text, value: object) -> None:
    """A header or the message's value: JSON pretty-printed, anything else as it is."""
    if isinstance(value, str):
        console.print(Text.assemble(label, f": {value}"))
    else:
        console.print(Text.assemble(label, ":"))
        pretty = JSON.from_data(value, indent=2, ensure_ascii=False)
        console.print(Padding(pretty, (0, 0, 0, 4), expand=False))


def _print_status(figures: Status) -> None:
    console = Console()
    name = figures.service
    console.print(f"{name}: the broker's cluster (the log's generation) is {figures.cluster}")

    def log(generation: str | None) -> str:  # is a checkpoint's log the one reached now?
        return "this one" if generation == figures.cluster else "another: to be re-read"

    if figures.relay is not None:
        columns: tuple[str, ...] = ("relay", "topic", "stored", "published", "lag", "log")
        relay = _table(f"{name}: outbox relay", columns, numeric=("stored", "published", "lag"))
        r = figures.relay
        relay.add_row(*_cells(r.relay, r.topic, r.stored, r.published, r.lag, log(r.generation)))
        console.print(relay)
    else:
        console.print(f"{name}: publishes no events (no relay)")
    numeric = ("partition", "position", "end", "lag")
    columns = ("consumer", "topic", *numeric, "checkpoint", "log")
    consumers = _table(f"{name}: consumer lag", columns, numeric)
    for c in figures.consumers:
        kept = log(c.generation) if c.checkpoint == "database" else "this one"
        consumers.add_row(
            *_cells(c.consumer, c.topic, c.partition, c.position, c.end, c.lag, c.checkpoint, kept)
        )
    console.print(consumers)
    dead = _table(f"{name}: dead letters (every consumer's)", ("topic", "depth"), ("depth",))
    for d in figures.dead_letters:
        dead.add_row(*_cells(d.topic, d.depth))
    console.print(dead)


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
