"""How many statements a registration sends: each is a round trip on PostgreSQL, most of
them under the append lock, so they bound the registry's write rate. Counted, not timed."""

from sqlalchemy import event

from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.testing import as_, client_for
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing


async def test_a_registration_is_seven_statements(settings) -> None:
    application = app(settings)
    async with client_for(application) as client:
        cadre = as_(application, Role.VILLAGE_CADRE, region="621121100201")
        engine = application.state.runtime.engine
        sent: list[str] = []

        def count(conn, cursor, statement, *_) -> None:  # type: ignore[no-untyped-def]  # SQLAlchemy hands a driver cursor
            if not statement.startswith("BEGIN"):
                sent.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", count)
        try:
            created = await client.post(
                "/v1/households", json=filing(), headers={**cadre, "Idempotency-Key": "k-1"}
            )
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", count)
        assert created.status_code == 201, created.text
        assert len(created.json()["members"]) == 3
    # PostgreSQL: the key's claim, the file number and the duplicates (one), the vault
    # rows (one statement for all three), then under the append lock the events (versions
    # checked, lock and positions taken, inserted: one), the read model (two) and the
    # key's answer. The answer opens the details with the data keys just made, without
    # reading the vault back. SQLite holds its lock from BEGIN and takes the events in
    # three in-process calls.
    postgres = engine.dialect.name == "postgresql"
    assert len(sent) == (7 if postgres else 9)
