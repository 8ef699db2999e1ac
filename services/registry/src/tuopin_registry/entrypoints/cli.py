import asyncio
from pathlib import Path

import typer

from tuopin_eventkit import migrate
from tuopin_eventkit.cli import service_cli
from tuopin_eventkit.web.runtime import Runtime
from tuopin_registry.entrypoints.app import spec

app = service_cli(spec)


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        help="建档立卡导出文件，CSV（UTF-8）或 XLSX，每人一行。"
        "CSV (UTF-8) or XLSX export, one row per person",
    ),
    errors: Path | None = typer.Option(
        None,
        help="错误报告写到哪里（默认：文件旁的 FILE.errors.csv）。"
        "Where to write the error report [default: FILE.errors.csv beside FILE]",
    ),
    batch: int = typer.Option(
        500, min=1, max=10000, help="每个事务的户数。Households per transaction"
    ),
    actor: str | None = typer.Option(
        None, help="导入人，记入每个事件。Who imports, recorded on every event"
    ),
) -> None:
    """导入已有的建档立卡数据（CSV 或 XLSX，中文或英文表头）。Import existing 建档立卡
    records (CSV or XLSX; English or Chinese headers).

    合格的户即建档；任何一行有错的户整户拒绝，其各行写入错误报告（中文在前，英文在旁）。
    中断后或用同一文件再次运行：已建档的户按“此前已建档”跳过。有户被拒绝时退出码为 1，
    文件无法读取时为 2。

    Valid households are filed; a household with any bad row is rejected whole and its rows
    go to the error report (messages in Chinese and English). Run it again after an
    interruption or with the same file: what was filed is skipped as already filed. Exits 1
    when any household was rejected, 2 when the file cannot be read.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from tuopin_registry.adapters import imports, sheets
    from tuopin_registry.adapters.commanding import keys, vault
    from tuopin_registry.application import bulk

    report_path = errors or sheets.errors_path(file)

    async def run() -> bulk.Report:
        runtime = Runtime.open(spec, spec.settings())
        try:
            if runtime.settings.migrate_on_start:
                await migrate.upgrade(runtime.engine, spec.migrations)
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("rows"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[tally]}"),
            ) as bar:
                task = bar.add_task(file.name, total=None, tally="")

                def advance(p: bulk.Progress) -> None:
                    t = p.totals
                    bar.update(
                        task,
                        completed=p.rows,
                        total=max(p.expected_rows, p.rows) if p.expected_rows else None,
                        tally=f"filed {t.filed:,} · already {t.already_filed:,} · "
                        f"rejected {t.rejected:,}",
                    )

                report = await sheets.import_file(
                    runtime.engine,
                    runtime.store,
                    keys(runtime),
                    vault(runtime),
                    file,
                    batch_size=batch,
                    progress=advance,
                    actor=actor,
                )
            await imports.record(runtime.engine, report, actor=actor)
            return report
        finally:
            await runtime.engine.dispose()

    try:
        report = asyncio.run(run())
    except bulk.UnreadableFile as exc:
        from tuopin_registry.adapters.messages import REPORTED

        typer.echo(f"{file}: {REPORTED.beside(str(exc))}", err=True)  # Chinese first
        raise typer.Exit(2) from None
    sheets.write_errors(report, report_path)
    t = report.totals
    seconds = (report.finished_at - report.started_at).total_seconds()
    typer.echo(
        f"{file.name}: {t.rows:,} 行 rows, {t.households:,} 户 households, {seconds:,.1f} s\n"
        f"  已建档 filed            {t.filed:>10,} households, {t.people:,} people\n"
        f"  此前已建档 already filed {t.already_filed:>10,} households\n"
        f"  被拒绝 rejected          {t.rejected:>10,} households, {t.rejected_rows:,} rows\n"
        f"错误报告 error report: {report_path}\n"
        f"导入编号 import id: {report.import_id} (GET /v1/imports/{report.import_id}/errors.csv)"
    )
    if t.rejected:  # a script or an operator must not take a partial import for a whole one
        typer.echo(
            f"{t.rejected:,} 户被拒绝，未建档（接受 {t.filed + t.already_filed:,} 户）；"
            f"请按错误报告改正后再次导入。 {t.rejected:,} households rejected, "
            f"{t.filed + t.already_filed:,} accepted: correct them and import the file again.",
            err=True,
        )
        raise typer.Exit(1)
