"""The export files an import reads (CSV in UTF-8 or GB18030, XLSX) and the error report
it writes: the files' part of the import; what their rows mean is the application's
(:mod:`tuopin_registry.application.bulk`)."""

import csv
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.store import EventStore
from tuopin_registry.adapters.messages import REPORTED
from tuopin_registry.application.bulk import (
    DEFAULT_BATCH,
    Progress,
    Report,
    Sheet,
    UnreadableFile,
    import_sheet,
    open_rows,
)
from tuopin_registry.application.sealing import PeopleKey


async def import_file(
    engine: AsyncEngine,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    path: Path,
    *,
    filename: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[Progress], None] | None = None,
    import_id: str | None = None,
    actor: str | None = None,
) -> Report:
    """Import a CSV or XLSX export (see :func:`import_sheet`), the report naming the file
    and its SHA-256. Raises :class:`UnreadableFile` when it cannot be read as an export."""
    digest = sha256_of(path)
    with open_sheet(path) as sheet:
        return await import_sheet(
            engine,
            store,
            keys,
            vault,
            sheet,
            filename=filename or path.name,
            sha256=digest,
            batch_size=batch_size,
            progress=progress,
            import_id=import_id,
            actor=actor,
        )


def _csv_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # not merely a character cut at the end of the sample
            return "gb18030"  # what Excel on a Chinese Windows writes as "CSV"
    return "utf-8"


@contextmanager
def open_sheet(path: Path) -> Iterator[Sheet]:
    """Open a CSV (UTF-8, with or without BOM; GB18030 is recognised too) or XLSX export."""
    try:
        raw = open(path, "rb")
        head = raw.read(1 << 16)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path.name}: {exc.strerror or exc}") from exc
    with raw:
        if head.startswith(b"PK\x03\x04"):
            with _xlsx(path) as sheet:
                yield sheet
            return
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise UnreadableFile("an XLS (Excel 97–2003) file: save it as XLSX or CSV")
        if b"\x00" in head:
            raise UnreadableFile("neither a CSV nor an XLSX file")
        lines = head.count(b"\n") + sum(chunk.count(b"\n") for chunk in _chunks(raw))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=_csv_encoding(head), errors="replace", newline="")
        try:
            yield open_rows(iter(csv.reader(text)), lines + (not head.endswith(b"\n")))
        except csv.Error as exc:
            raise UnreadableFile(f"not a readable CSV file: {exc}") from exc
        finally:
            text.detach()


def _chunks(raw: io.BufferedReader) -> Iterator[bytes]:
    while chunk := raw.read(1 << 20):
        yield chunk


@contextmanager
def _xlsx(path: Path) -> Iterator[Sheet]:
    from openpyxl import load_workbook  # only XLSX imports pay for loading it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise UnreadableFile(f"not a readable XLSX file: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(min_row=1, values_only=True)
        yield open_rows(rows, sheet.max_row)
    finally:
        book.close()


def errors_path(path: Path) -> Path:
    """Where the CLI writes the error report by default: beside the file."""
    return path.with_name(f"{path.stem}.errors.csv")


def write_errors(report: Report, path: Path) -> None:
    # With a BOM, so that Excel shows the Chinese text of the report right.
    path.write_text(report.errors_csv(REPORTED), encoding="utf-8-sig")


def sha256_of(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()
