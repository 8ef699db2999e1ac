"""``tuopin <service> dlq …``: list, show and re-drive the dead letters of a service's
consumers."""

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from tuopin_eventkit.cli import terminal
from tuopin_eventkit.messaging import dlq
from tuopin_eventkit.web.runtime import ServiceSpec

T = TypeVar("T")


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
        table = terminal.table(f"{spec.name}: {len(shown)} dead letter(s)", columns)
        for d in shown:
            when = f"{d.when:%Y-%m-%d %H:%M:%S}"
            table.add_row(
                *terminal.cells(d.topic, d.at, _key(d), when, d.consumer, d.reason, d.origin)
            )
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
            terminal.print_value(console, f"  {name}", value)
        if full["withheld_headers"]:
            console.print(Text(f"  (withheld: {', '.join(full['withheld_headers'])})", "dim"))
        terminal.print_value(console, Text("value", "bold"), full["value"])

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
        table = terminal.table(
            f"{spec.name}: {len(sent)} re-driven", ("from", "to", "key", "reason")
        )
        for r in sent:
            row = r.summary()
            table.add_row(*terminal.cells(row["from"], row["to"], row["key"], row["reason"]))
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
