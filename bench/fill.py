"""A generated province's households in the registry's and evaluation's databases, filled
without a broker (``bench.reads`` serves reads from them):

- the registry through its bulk import (``tuopin_registry.adapters.sheets.import_file``,
  what ``tuopin registry import`` runs) of the export ``bench.registry_export`` generates:
  events, vault and index tables as in production;
- evaluation's households read model through the projection's own parse and apply
  (``tuopin_eventkit.store.projection.parse`` / ``apply``, batches regrouped by
  ``consumer.by_handler`` as the consumer does) of the messages ``bench.province``
  generates for the topic: the consumer's path without the broker in between, so that a
  fill of 100,000 households takes minutes, not the better part of an hour.
"""

from collections.abc import Iterator
from pathlib import Path

from aiokafka.structs import ConsumerRecord
from sqlalchemy import func, select

from bench import province
from bench.registry_export import generate
from tuopin_contracts import Topic
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.projection import apply, by_handler, parse
from tuopin_eventkit.store.statistics import Statistics
from tuopin_eventkit.web.runtime import Runtime


async def fill_registry(url: str, households: int, folder: Path) -> list[str]:
    """The registry after importing a generated export; the ids of its households."""
    from tuopin_registry.adapters import sheets
    from tuopin_registry.application.household_index import households as index
    from tuopin_registry.config import RegistrySettings
    from tuopin_registry.entrypoints.app import spec

    path = folder / "建档立卡.csv"
    generate(path, households)
    settings = RegistrySettings(database_url=url, run_relay=False, run_projections=False)
    runtime = Runtime.open(spec, settings)
    try:
        await migrate.upgrade(runtime.engine, spec.migrations)
        keys = IdentityKeys(settings.identity_key.get_secret_value())
        report = await sheets.import_file(
            runtime.engine, runtime.store, keys, settings.people(), path
        )
        print(f"  registry: {report.totals.filed:,} households filed", flush=True)
        async with runtime.engine.connect() as conn:
            return list((await conn.scalars(select(index.c.household_id))).all())
    finally:
        await runtime.engine.dispose()


def records(households: int) -> Iterator[list[ConsumerRecord]]:
    """The registry topic's messages for the generated province, chunk by chunk, as the
    records a consumer would fetch (offsets in production order)."""
    offset = 0
    for _, messages in province.on_time(households):
        chunk = []
        for key, value in messages:
            sizes = (len(key), len(value))
            chunk.append(
                ConsumerRecord(Topic.REGISTRY, 0, offset, 0, 0, key, value, None, *sizes, ())
            )
            offset += 1
        yield chunk


async def fill_evaluation(url: str, households: int) -> dict[str, str]:
    """Evaluation's households read model through the projection's parse and apply; the
    largest city and county (by households), for the roll-ups asked about."""
    from tuopin_evaluation.application.facts import households as facts
    from tuopin_evaluation.entrypoints.app import spec

    projection = spec.projection("evaluation.households")
    engine = create_engine(url)
    # Analyzed as the consumer analyzes (``Statistics``): planned for the empty table it
    # was, each batch's dedupe reads every mark made before it.
    statistics = Statistics(engine, projection)
    try:
        await migrate.upgrade(engine, spec.migrations)
        applied = 0
        for chunk in records(households):
            parsed = by_handler([p for r in chunk if (p := parse(projection, r)) is not None])
            async with engine.begin() as conn:
                done = await apply(conn, projection, parsed)
            await statistics.grew(done)
            applied += done
        await statistics.analyze()
        print(f"  evaluation: {applied:,} events applied", flush=True)
        h = facts.c
        async with engine.connect() as conn:
            city = func.substr(h.county_code, 1, 4)
            largest_city = await conn.scalar(
                select(city).group_by(city).order_by(func.count().desc()).limit(1)
            )
            county = await conn.scalar(
                select(h.county_code)
                .where(h.county_code.startswith(largest_city))
                .group_by(h.county_code)
                .order_by(func.count().desc())
                .limit(1)
            )
        return {"city": f"{largest_city}00", "county": str(county)}
    finally:
        await engine.dispose()
