"""Migration r0004 seals a vault of clear numbers in place, and its downgrade opens it
again (an erased person excepted: their number is gone for good)."""

from datetime import UTC, datetime

from sqlalchemy import text

from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_registry.application.people import erase, reveal
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import spec
from tuopin_registry.examples import resident_id

NOW = datetime(2026, 11, 29, tzinfo=UTC)


async def test_clear_numbers_are_sealed_in_place_and_opened_on_the_way_down(database_url) -> None:
    engine = create_engine(database_url)
    clear = {f"00000000-0000-4000-8000-00000000000{i}": resident_id() for i in range(3)}
    try:
        await migrate.upgrade(engine, spec.migrations, "r0003")
        async with engine.begin() as conn:
            for person_id, number in clear.items():
                await conn.execute(
                    text("INSERT INTO people (person_id, id_number) VALUES (:p, :n)"),
                    {"p": person_id, "n": number},
                )
            await conn.execute(
                text(
                    "INSERT INTO imports (import_id, filename, sha256, started_at, finished_at,"
                    " rows, households, households_filed, households_already_filed,"
                    " households_rejected, people_filed, rows_rejected, errors_csv) VALUES"
                    " ('i1', 'x.csv', 'h', :t, :t, 1, 1, 0, 0, 1, 0, 1, :e)"
                ),
                {"t": NOW, "e": f"row,message\n3,'{clear[min(clear)]}' is not a date\n"},
            )

        await migrate.upgrade(engine, spec.migrations)
        key = RegistrySettings().people()  # the environment's, as the migration's
        async with engine.begin() as conn:
            assert {p: await reveal(conn, key, p) for p in clear} == clear
            raw = str((await conn.execute(text("SELECT * FROM people"))).all())
            assert not any(number in raw for number in clear.values())
            report = await conn.scalar(text("SELECT errors_csv FROM imports"))
            assert clear[min(clear)] not in report and "**********" in report
            erased = max(clear)
            await erase(conn, erased, NOW)

        await migrate.downgrade(engine, spec.migrations, "r0003")
        async with engine.connect() as conn:
            rows = dict((await conn.execute(text("SELECT person_id, id_number FROM people"))).all())
        assert rows == {p: n for p, n in clear.items() if p != erased}
    finally:
        await engine.dispose()
