"""How the operator's commands draw in a terminal: tables, JSON values, the status
figures and a rebuild's progress bar (rich)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

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

from tuopin_eventkit.web.status import Status


def table(title: str, columns: tuple[str, ...], numeric: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column in numeric else "left")
    return table


def cells(*values: object) -> list[Text]:
    """Table cells as plain text: a reason like ``ValueError('[x]')`` is no rich markup."""
    return [Text("" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in values]


def print_value(console: Console, label: str | Text, value: object) -> None:
    """A header or the message's value: JSON pretty-printed, anything else as it is."""
    if isinstance(value, str):
        console.print(Text.assemble(label, f": {value}"))
    else:
        console.print(Text.assemble(label, ":"))
        pretty = JSON.from_data(value, indent=2, ensure_ascii=False)
        console.print(Padding(pretty, (0, 0, 0, 4), expand=False))


def print_status(figures: Status) -> None:
    console = Console()
    name = figures.service
    console.print(f"{name}: the broker's cluster (the log's generation) is {figures.cluster}")

    def log(generation: str | None) -> str:  # is a checkpoint's log the one reached now?
        return "this one" if generation == figures.cluster else "another: to be re-read"

    if figures.relay is not None:
        columns: tuple[str, ...] = ("relay", "topic", "stored", "published", "lag", "log")
        relay = table(f"{name}: outbox relay", columns, numeric=("stored", "published", "lag"))
        r = figures.relay
        relay.add_row(*cells(r.relay, r.topic, r.stored, r.published, r.lag, log(r.generation)))
        console.print(relay)
    else:
        console.print(f"{name}: publishes no events (no relay)")
    numeric = ("partition", "position", "end", "lag")
    columns = ("consumer", "topic", *numeric, "checkpoint", "log")
    consumers = table(f"{name}: consumer lag", columns, numeric)
    for c in figures.consumers:
        kept = log(c.generation) if c.checkpoint == "database" else "this one"
        consumers.add_row(
            *cells(c.consumer, c.topic, c.partition, c.position, c.end, c.lag, c.checkpoint, kept)
        )
    console.print(consumers)
    dead = table(f"{name}: dead letters (every consumer's)", ("topic", "depth"), ("depth",))
    for d in figures.dead_letters:
        dead.add_row(*cells(d.topic, d.depth))
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
