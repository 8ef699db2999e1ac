"""Erasure leaves nothing of the person readable: not in the vault, the read model, the
stored events, the answers kept for idempotent replays — and, on SQLite, not in the
bytes of the database file and its write-ahead log either (SECURITY.md says what it
takes on PostgreSQL)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tuopin_eventkit.store.schema import events, idempotency_keys
from tuopin_eventkit.testing import client_for
from tuopin_registry.application.household_index import household_members
from tuopin_registry.application.people import people
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import app
from tuopin_registry.examples import filing, member, resident_id

VILLAGE = "621121100201"
NAME = "李秀英"


@pytest.fixture
def settings(make_settings, people_key: str) -> RegistrySettings:
    return make_settings(people_key=people_key)


def files_of(url: str) -> list[Path]:
    """The SQLite database file and its write-ahead log (none on PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return []
    path = Path(parsed.database or "")
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


async def test_erasure_leaves_nothing_readable_down_to_the_file(settings) -> None:
    spouse_number = resident_id(male=False)
    application = app(settings)
    async with client_for(application) as client:
        # Neighbours share the pages, as in a real vault.
        for n in range(40):
            body = filing(f"621121-1{n:03d}", village=VILLAGE, members=[member()])
            assert (await client.post("/v1/households", json=body)).status_code == 201
        body = filing(
            "621121-0001",
            village=VILLAGE,
            members=[
                member(name="王建国"),
                member("spouse", name=NAME, id_number=spouse_number, health="chronic_illness"),
            ],
        )
        filed = await client.post("/v1/households", json=body, headers={"Idempotency-Key": "f-1"})
        assert filed.status_code == 201, filed.text
        hid = filed.json()["household_id"]
        spouse = next(m["person_id"] for m in filed.json()["members"] if m["relation"] == "spouse")
        change = {"effective_date": "2016-09-01", "health": "serious_illness"}
        changed = await client.post(
            f"/v1/households/{hid}/members/{spouse}/changes",
            json=change,
            headers={"Idempotency-Key": "c-1"},
        )
        assert changed.status_code == 200 and NAME in changed.text
        left = {"effective_date": "2017-02-01", "reason": "married out"}
        assert (
            await client.post(f"/v1/households/{hid}/members/{spouse}/removal", json=left)
        ).status_code == 200

        runtime = application.state.runtime
        async with runtime.engine.connect() as conn:
            vault = (await conn.execute(select(people).where(people.c.person_id == spouse))).one()
            index = (
                await conn.execute(
                    select(household_members).where(household_members.c.person_id == spouse)
                )
            ).one()
        wrapped, identity, sealed = vault.data_key_wrapped, index.id_number_hash, index.sealed
        assert wrapped and identity and sealed
        traces = [bytes(wrapped), identity.encode(), sealed.encode(), NAME.encode()]

        request = {"effective_date": "2017-03-01", "reason": "申请 2017-0042"}
        erased = await client.post(
            f"/v1/people/{spouse}/erasure", json=request, headers={"Idempotency-Key": "e-1"}
        )
        assert erased.status_code == 200, erased.text

        # What the API shows of the person now.
        assert (await client.get(f"/v1/people/{spouse}/identity")).status_code == 410
        again = await client.post("/v1/households", json=body, headers={"Idempotency-Key": "f-1"})
        assert again.headers["idempotent-replayed"] == "true" and NAME not in again.text
        [gone] = [m for m in again.json()["members"] if m["person_id"] == spouse]
        assert gone == {"person_id": spouse, "relation": "spouse", "erased": True}

        # The bytes of the SQLite file and its log, while the service runs: no trace of the
        # destroyed key, the identity hash, the sealed details or the name.
        for path in files_of(settings.database_url):
            content = path.read_bytes()
            assert not [t for t in traces if t in content], path

    # The raw rows.
    engine = runtime.engine
    async with engine.connect() as conn:
        vault = (await conn.execute(select(people).where(people.c.person_id == spouse))).one()
        index = (
            await conn.execute(
                select(household_members).where(household_members.c.person_id == spouse)
            )
        ).one()
        stored = " ".join(
            json.dumps(r.data, ensure_ascii=False) if isinstance(r.data, dict) else r.data
            for r in await conn.execute(select(events.c.data))
        )
        answers = " ".join(
            json.dumps(r.response, ensure_ascii=False)
            if isinstance(r.response, dict)
            else r.response
            for r in await conn.execute(select(idempotency_keys.c.response))
        )
        dump = str((await conn.execute(text("SELECT * FROM people"))).all())
    await engine.dispose()
    assert vault.data_key_wrapped is None and vault.data_key_nonce is None
    assert index.sealed is None and index.id_number_hash is None
    for where in (stored, answers):
        assert NAME not in where and identity not in where and sealed not in where
        assert "chronic_illness" not in where and "serious_illness" not in where
    assert spouse_number not in dump
