"""Running an import: an opened sheet read household by household and filed in batches,
each batch one transaction, with progress and the report at the end."""

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final
from uuid import uuid4

from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit import context
from tuopin_eventkit.db import is_postgres
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.store import ConcurrencyConflict, EventStore
from tuopin_registry.application.bulk import filing
from tuopin_registry.application.bulk.report import (
    Progress,
    Report,
    RowResult,
    Totals,
    real_errors_first,
)
from tuopin_registry.application.bulk.rows import Filing, Sheet, read_filings
from tuopin_registry.application.sealing import PeopleKey

DEFAULT_BATCH: Final = 500


async def import_sheet(
    engine: AsyncEngine,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    sheet: Sheet,
    *,
    filename: str,
    sha256: str,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[Progress], None] | None = None,
    import_id: str | None = None,
    actor: str | None = None,
) -> Report:
    """Import an opened sheet: read, check and file it batch by batch, each batch
    committed on its own. Run again after an interruption, it skips what was filed and
    goes on.

    Every event carries the import id as its correlation id. Raises :class:`UnreadableFile`
    when the rest of the file cannot be read (batches already committed stay filed).
    ``keys`` hash the ID numbers, ``vault`` seals them: the caller's, as the service's.
    """
    if batch_size < 1:
        raise ValueError("a batch holds at least one household")
    import_id = import_id or str(uuid4())
    started = datetime.now(UTC)
    totals, errors = Totals(), []
    next_analyze = ANALYZE_FIRST
    with context.caused_by(import_id, None, actor), _collected_by_batch():
        for batch in _batches(read_filings(sheet), batch_size):
            results = await _commit(engine, store, keys, vault, batch)
            _collect()
            totals.add(results)
            if totals.filed >= next_analyze and is_postgres(engine):
                await _analyze(engine)
                next_analyze *= 2
            errors += real_errors_first(results)
            if progress is not None:
                progress(Progress(totals.rows, sheet.expected_rows, totals))
    return Report(
        import_id=import_id,
        filename=filename,
        sha256=sha256,
        started_at=started,
        finished_at=datetime.now(UTC),
        totals=totals,
        errors=errors,
        headers=sheet.headers,
    )


# PostgreSQL plans a batch's lookups (file numbers, identities, stream versions) by its
# statistics of the tables; while an import multiplies their size, they are refreshed
# whenever the households filed double from this many (autovacuum may lag or be off).
ANALYZE_FIRST: Final = 2_000
ANALYZED: Final = ("events", "households", "household_members", "people")


async def _analyze(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(sql(f"ANALYZE {', '.join(ANALYZED)}"))


async def _commit(
    engine: AsyncEngine,
    store: EventStore,
    keys: IdentityKeys,
    vault: PeopleKey,
    batch: list[Filing],
) -> list[RowResult]:
    """One batch in one transaction; once more if a concurrent writer got in the way (the
    second run sees what it filed)."""
    for attempt in (1, 2):
        try:
            async with engine.begin() as conn:
                results = await filing.file_batch(conn, store, keys, vault, batch)
            store.notify()
            return results
        except (IntegrityError, ConcurrencyConflict):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@contextmanager
def _collected_by_batch() -> Iterator[None]:
    """The cyclic garbage collector kept out of the import, which collects once a batch
    (:func:`_collect`). The objects alive before it (modules, schemas, the engine's
    caches) are frozen out of every pass: each full pass walked the whole process again, a
    quarter of the import's CPU. Its own automatic passes are off: a batch's millions of
    allocations set them off hundreds of times, each walking the batch's live objects
    (a tenth of the import's CPU), while refcounting frees nearly all of them anyway.
    Process-wide: an import that ends first lets the collector run as usual again, which
    costs only time."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _collect() -> None:
    """After a batch: its cycles (and the service's, meanwhile) freed, its objects gone
    by then, so the pass is short; memory stays flat."""
    gc.collect(1)


def _batches(filings: Iterator[Filing], size: int) -> Iterator[list[Filing]]:
    batch: list[Filing] = []
    for household in filings:
        batch.append(household)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
