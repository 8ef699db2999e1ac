"""Planner statistics for the tables a consumer fills in bulk (PostgreSQL).

PostgreSQL plans a query by what its statistics say of each table, and only ANALYZE
gathers them: autovacuum's runs a minute or more apart, and some servers (this machine's
among them) run without it. A read model filled from empty — a rebuild on a new database,
a new service catching up — is then planned as the empty table it was. The dedupe lookup
of every batch, told its consumer has no rows, read all the rows the consumer had applied
and filtered them against the batch's ids: a 100,000-household rebuild into PostgreSQL took
607 s of wall time, most of it the server's. SQLite plans by its indexes alone.
"""

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from tuopin_eventkit.store.projection import Projection
from tuopin_eventkit.store.schema import processed_events


class Statistics:
    """Analyzes a projection's tables and the dedupe records each time the events it has
    applied double (from ``first``), and when asked to (a catch-up's end, so that reads of
    the new read model are planned for its size): about twenty times for a province."""

    def __init__(self, engine: AsyncEngine, projection: Projection, first: int = 5000) -> None:
        self.engine = engine
        self.tables: Sequence[Table] = [*projection.tables, processed_events]
        self.applied, self.next = 0, first

    async def grew(self, applied: int) -> None:
        self.applied += applied
        if self.applied >= self.next:
            self.next = 2 * self.applied
            await self.analyze()

    async def analyze(self) -> None:
        if self.engine.dialect.name != "postgresql":
            return
        async with self.engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.format_table
            for table in self.tables:
                await conn.exec_driver_sql(f"ANALYZE {quote(table)}")
