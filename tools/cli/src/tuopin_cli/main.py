"""`tuopin up` runs everything embedded; `tuopin <service> …` reaches each service's commands."""

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tuopin_cli.lazy import TuopinGroup
from tuopin_cli.ports import DEFAULT_PORT_BASE, KAFKA_OFFSET, SERVICES, broker_port
from tuopin_eventkit.security.roles import Role

if TYPE_CHECKING:
    from tuopin_cli.stack import ProcessFailed
    from tuopin_eventkit.security.tokens import AuthSettings

# `tuopin registry|loans|training|evaluation …` are added by TuopinGroup, imported lazily.
app = typer.Typer(
    cls=TuopinGroup,
    help="脱贫（Tuopin）：精准扶贫。Targeted poverty alleviation",
    no_args_is_help=True,
)


@app.command()
def token(
    role: Role = typer.Option(..., help="调用方角色。The caller's role"),
    subject: str = typer.Option(
        "developer", help="令牌所指的主体（sub）。Who the token names (sub)"
    ),
    region: str | None = typer.Option(
        None, help="地区角色的行政区划代码前缀。Region-code prefix of a regional role"
    ),
    org: str | None = typer.Option(
        None, help="合作方（银行或培训机构）编号。Bank or training-centre id of a partner"
    ),
    county: list[str] = typer.Option(
        [], help="评估机构负责的县（可重复）。An evaluator's assigned county (repeat)"
    ),
    minutes: int = typer.Option(
        480,
        help="有效分钟数，不超过服务允许的上限。Lifetime, at most the services' maximum "
        "(TUOPIN_AUTH__MAX_LIFETIME_MINUTES)",
    ),
) -> None:
    """签发 Bearer 令牌（开发和测试用）。Mint a bearer token (development and tests).

    用内置签名密钥签发；正式部署的令牌由 OIDC 身份提供方签发。签名密钥的读取方式与服务相同。

    Mint a bearer token with the embedded signing key (development and tests only;
    deployments take their tokens from the OIDC provider). The key is read like the
    services read it: TUOPIN_AUTH__SIGNING_KEY or the embedded default."""
    from tuopin_eventkit.security.tokens import (
        development_token,  # PyJWT, pydantic: only a token needs them
    )

    settings = signing_settings()
    try:  # the same checks the services apply
        token = development_token(
            settings, subject, role, region=region, org=org, counties=tuple(county), minutes=minutes
        )
    except ValueError as exc:  # a claim, or a lifetime, the services would refuse
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(token)


def signing_settings() -> "AuthSettings":
    """The signing key as the services read it: TUOPIN_AUTH__… or the embedded default."""
    from pydantic_settings import BaseSettings, SettingsConfigDict

    from tuopin_eventkit.security.tokens import AuthSettings

    class TokenSettings(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="TUOPIN_", env_nested_delimiter="__")

        auth: AuthSettings = AuthSettings()

    return TokenSettings().auth


@app.command()
def up(
    var: Path = typer.Option(
        Path("var"), help="存放 SQLite 文件和日志的目录。Folder for the SQLite files and logs"
    ),
    port_base: int = typer.Option(
        DEFAULT_PORT_BASE,
        min=1,
        max=65535 - KAFKA_OFFSET,
        help=f"四个服务占用 N+1..N+4，Kafka 占用 N+{KAFKA_OFFSET}。"
        f"Services on N+1..N+4 (registry, loans, training, evaluation), Kafka on "
        f"N+{KAFKA_OFFSET}: {DEFAULT_PORT_BASE} gives {SERVICES['registry']}–"
        f"{SERVICES['evaluation']} and {broker_port()}. Another base (and another --var) "
        "runs a second stack beside the first.",
    ),
    kafka_port: int | None = typer.Option(
        None,
        help=f"内置 Tansu 消息代理的端口（默认：基准端口 + {KAFKA_OFFSET}）。"
        f"Port of the embedded Tansu broker (default: the port base + {KAFKA_OFFSET})",
        show_default=False,
    ),
) -> None:
    """运行整个系统。Run the whole system.

    Tansu 消息代理、主题和四个服务；Ctrl-C 全部停止，任何一个停止也会全部停止（指明是哪个，
    附其日志末尾）。

    Run the whole system: Tansu broker, topics, the four services. Ctrl-C stops it all;
    so does any of them stopping (named, with the end of its log)."""
    from tuopin_cli.stack import ProcessFailed, Stack  # httpx, Kafka: only `up` needs them

    stack = Stack.at(var, port_base, kafka_port)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        stack.up()
        typer.echo(f"Kafka (Tansu, in memory): 127.0.0.1:{stack.kafka_port}   消息代理（内存）")
        for service, process in stack.processes.items():
            url = stack.url(service)
            typer.echo(f"{service:<11} {url}   接口文档 docs: {url}/docs   pid {process.pid}")
        # The dashboard, signed in as the province admin with a fresh token (embedded key).
        from tuopin_eventkit.security.tokens import development_token

        admin = development_token(signing_settings(), "developer", Role.PROVINCE_ADMIN, region="62")
        typer.echo(f"dashboard   {stack.url('evaluation')}/dashboard#access_token={admin}")
        typer.echo(
            "            (领导看板，省扶贫办身份，8 小时有效，在浏览器中打开；"
            "as the province admin, for 8 hours; open it in a browser)"
        )
        typer.echo(f"sign-in     {stack.url('evaluation')}/signin")
        typer.echo(
            "            (登录页，仅限开发：任意角色和地区的令牌；"
            "development only: a token for any role and region)"
        )
        typer.echo("tokens      .venv/bin/tuopin token --role county_officer --region 621121")
        typer.echo(
            "            (其他角色和地区 any role and region: .venv/bin/tuopin token --help)"
        )
        typer.echo(
            f"日志和 SQLite 文件在 {var}/，按 Ctrl-C 全部停止。"
            f"Logs and SQLite files in {var}/. Ctrl-C stops everything."
        )
        while (failed := stack.failed()) is None:
            time.sleep(0.5)
        raise failed
    except KeyboardInterrupt:
        typer.echo("正在停止 stopping…")
    except ProcessFailed as failed:
        _report(failed)
        raise typer.Exit(1) from failed
    except (RuntimeError, TimeoutError) as exc:
        typer.echo(f"无法启动 cannot start: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        stack.down()


def _report(failed: "ProcessFailed", lines: int = 20) -> None:
    """Which process stopped, how, where its log is, and the log's last lines (stderr)."""
    typer.echo(f"{failed}；正在停止其余服务 stopping the others", err=True)
    tail = failed.tail(lines)
    if tail:
        typer.echo(
            f"--- 日志最后 {len(tail)} 行 last {len(tail)} lines of {failed.log} ---", err=True
        )
        for line in tail:
            typer.echo(line, err=True)
