"""Bulk import over HTTP: upload a CSV or XLSX export (建档立卡 records, one row per person),
get the totals at once and the row-level error report as a CSV download.

The upload is imported within the request. For the whole province (970,000 households)
use the command line instead — ``tuopin registry import FILE`` — which shows progress and
is bound by no request timeout; both record the import here, and both may simply be run
again: what was filed is skipped as ``already filed``.
"""

import hashlib
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO
from uuid import UUID

from fastapi import Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import context
from tuopin_eventkit.db import read_only
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import IdempotencyKeyReused, Outcome
from tuopin_eventkit.web.http import CSV_DOWNLOAD, IdempotencyKey, Router, csv_attachment, respond
from tuopin_eventkit.web.problems import problem
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_registry.adapters import sheets
from tuopin_registry.adapters import views as v
from tuopin_registry.adapters.commanding import keys, vault
from tuopin_registry.adapters.messages import REPORTED
from tuopin_registry.application import bulk

metadata = MetaData()

# Mirrors migration r0003.
imports = Table(
    "imports",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("filename", String(255), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("idempotency_key", String(255), unique=True),
    Column("actor", String(128)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    Column("households_filed", Integer, nullable=False),
    Column("households_already_filed", Integer, nullable=False),
    Column("households_rejected", Integer, nullable=False),
    Column("people_filed", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("errors_csv", Text, nullable=False),
)

TOTALS = {  # column → Totals field
    "rows": "rows",
    "households": "households",
    "households_filed": "filed",
    "households_already_filed": "already_filed",
    "households_rejected": "rejected",
    "people_filed": "people",
    "rows_rejected": "rejected_rows",
}


async def record(
    engine: AsyncEngine,
    report: bulk.Report,
    idempotency_key: str | None = None,
    actor: str | None = None,
) -> None:
    """Keep an import's totals and error report (raises IntegrityError on a reused key)."""
    totals = asdict(report.totals)
    async with engine.begin() as conn:
        await conn.execute(
            insert(imports).values(
                import_id=report.import_id,
                filename=report.filename[:255],
                sha256=report.sha256,
                idempotency_key=idempotency_key,
                actor=actor,
                started_at=report.started_at,
                finished_at=report.finished_at,
                errors_csv=report.errors_csv(REPORTED),
                **{column: totals[name] for column, name in TOTALS.items()},
            )
        )


def summary(row: Any) -> dict[str, Any]:
    return {
        "import_id": row.import_id,
        "filename": row.filename,
        "sha256": row.sha256,
        "started_at": _utc(row.started_at).isoformat(),
        "finished_at": _utc(row.finished_at).isoformat(),
        "totals": {column: getattr(row, column) for column in TOTALS},
        "errors_url": f"/v1/imports/{row.import_id}/errors.csv",
    }


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)  # SQLite keeps no zone


async def _find(engine: AsyncEngine, **where: str) -> Any:
    async with read_only(engine).connect() as conn:
        query = select(imports).where(*(imports.c[k] == v for k, v in where.items()))
        return (await conn.execute(query)).first()


router = Router(prefix="/v1", tags=["imports"])


@asynccontextmanager
async def _saved(upload: UploadFile) -> AsyncIterator[tuple[Path, str]]:
    """The upload in a temporary file (the import reads it twice), and its SHA-256."""
    with tempfile.TemporaryDirectory(prefix="tuopin-import-") as folder:
        path = Path(folder) / ("upload" + Path(upload.filename or "").suffix.lower()[:10])
        yield path, await run_in_threadpool(_copy, upload.file, path)


def _copy(source: BinaryIO, path: Path) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    with open(path, "wb") as file:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
            file.write(chunk)
    return digest.hexdigest()


@router.post(
    "/imports",
    status_code=201,
    response_model=v.Import,
    summary="Import existing 建档立卡 records from a CSV or XLSX export",
    description=(
        "One row per person, household columns repeated on each member's row, a "
        "household's rows together; English or Chinese headers and values. Valid "
        "households are filed; a household with any bad row is rejected whole and its rows "
        "are listed in the error report. Households already filed (by file number) are "
        "skipped, so uploading the same file again changes nothing. For the whole "
        "province use `tuopin registry import FILE`."
    ),
)
async def upload(
    file: UploadFile,
    runtime: RuntimeDep,
    batch: Annotated[int, Query(ge=1, le=5000, description="Households per transaction")] = (
        bulk.DEFAULT_BATCH
    ),
    idempotency_key: IdempotencyKey = None,
) -> Response:
    actor = context.actor.get()
    async with _saved(file) as (path, sha256):
        if idempotency_key is not None:
            first = await _find(runtime.engine, idempotency_key=idempotency_key)
            if first is not None:
                return _replay(first, idempotency_key, sha256)
        try:
            report = await sheets.import_file(
                runtime.engine,
                runtime.store,
                keys(runtime),
                vault(runtime),
                path,
                filename=file.filename or "upload",
                batch_size=batch,
                actor=actor,
            )
        except bulk.UnreadableFile as exc:
            return problem(422, "Unreadable file", str(exc), "unreadable-file")
    try:
        await record(runtime.engine, report, idempotency_key, actor)
    except IntegrityError:  # a concurrent twin with the same key recorded first
        first = await _find(runtime.engine, idempotency_key=idempotency_key or "")
        if first is None:
            raise
        return _replay(first, idempotency_key or "", sha256)
    found = await _find(runtime.engine, import_id=report.import_id)
    return respond(Outcome(summary(found), created=True), f"/v1/imports/{report.import_id}")


def _replay(first: Any, key: str, sha256: str) -> JSONResponse:
    if first.sha256 != sha256:
        raise IdempotencyKeyReused(key)
    replay = Outcome(summary(first), created=True, replayed=True)
    return respond(replay, f"/v1/imports/{first.import_id}")


@router.get("/imports/{import_id}", response_model=v.Import, summary="An import's totals")
async def read_import(import_id: UUID, runtime: RuntimeDep) -> JSONResponse:
    found = await _find(runtime.engine, import_id=str(import_id))
    if found is None:
        raise NotFound(f"no import {import_id}")
    return respond(Outcome(summary(found)))


@router.get(
    "/imports/{import_id}/errors.csv",
    **CSV_DOWNLOAD,
    summary="An import's error report: row, file number, column, message",
)
async def errors_csv(import_id: UUID, runtime: RuntimeDep) -> Response:
    found = await _find(runtime.engine, import_id=str(import_id))
    if found is None:
        raise NotFound(f"no import {import_id}")
    return csv_attachment(found.errors_csv, f"{import_id}.errors.csv")
