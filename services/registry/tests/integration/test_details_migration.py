"""Migration r0005 seals members' personal details in the stored events and the read
model (an erased person's are dropped, their key being gone), and its downgrade opens
them again."""

import json
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from sqlalchemy import text

from tuopin_contracts.events import registry as reg
from tuopin_contracts.examples import filed_v2
from tuopin_eventkit import migrate
from tuopin_eventkit.db import create_engine
from tuopin_registry.application.people import erase, person_keys
from tuopin_registry.config import RegistrySettings
from tuopin_registry.entrypoints.app import spec

NOW = datetime(2026, 12, 6, tzinfo=UTC)
HOUSEHOLD = str(uuid4())
HEAD, LEFT = str(uuid4()), str(uuid4())
NUMBERS = {HEAD: "620102198503020039", LEFT: "620102198611200045"}


def old_member(pid: str, name: str, relation: str, born: str) -> dict:
    number = NUMBERS[pid]
    return {
        "person_id": pid,
        "name": name,
        "relation": relation,
        "id_number_hash": pid[:8] * 8,
        "id_number_masked": number[:4] + "*" * 10 + number[-4:],
        "sex": "male",
        "birth_date": born,
        "health": "healthy",
        "disabled": False,
    }


def filed() -> dict:
    members = [
        reg.Member.model_validate(old_member(HEAD, "王建国", "head", "1985-03-02")),
        reg.Member.model_validate(old_member(LEFT, "李秀英", "spouse", "1986-11-20")),
    ]
    filing = filed_v2(UUID(HOUSEHOLD), "621121100201", members, file_number="621121-0001")
    return filing.model_dump(mode="json")


async def stored_events(conn) -> list[tuple[str, dict]]:
    """(type, data) by position; SQLite hands JSON back as text, PostgreSQL as objects."""
    rows = (await conn.execute(text("SELECT type, data FROM events ORDER BY position"))).all()
    return [(r.type, r.data if isinstance(r.data, dict) else json.loads(r.data)) for r in rows]


async def insert_event(conn, position: int, kind: str, data: dict) -> None:
    await conn.execute(
        text(
            "INSERT INTO events (position, event_id, stream_type, stream_id, version, type,"
            " data, recorded_at) VALUES (:p, :e, 'household', :s, :v, :t, :d, :at)"
        ),
        {
            "p": position,
            "v": position,
            "e": str(uuid4()),
            "s": HOUSEHOLD,
            "t": kind,
            "d": json.dumps(data),
            "at": NOW,
        },
    )


async def test_details_are_sealed_in_place_and_opened_on_the_way_down(database_url) -> None:
    engine = create_engine(database_url)
    key = RegistrySettings().people()  # the environment's, as the migration's
    try:
        await migrate.upgrade(engine, spec.migrations, "r0004")
        async with engine.begin() as conn:
            await insert_event(conn, 1, reg.HouseholdRegisteredV2.TYPE, filed())
            health = {
                "household_id": HOUSEHOLD,
                "effective_date": "2017-01-01",
                "person_id": HEAD,
                "health": "chronic_illness",
            }
            await insert_event(conn, 2, reg.MemberUpdatedV1.TYPE, health)
            for pid, number in NUMBERS.items():
                sealed = key.seal(pid, number)
                await conn.execute(
                    text(
                        "INSERT INTO people (person_id, id_number_sealed, id_number_nonce,"
                        " data_key_wrapped, data_key_nonce) VALUES (:p, :s, :n, :w, :k)"
                    ),
                    {
                        "p": pid,
                        "s": sealed.id_number_sealed,
                        "n": sealed.id_number_nonce,
                        "w": sealed.data_key_wrapped,
                        "k": sealed.data_key_nonce,
                    },
                )
                await conn.execute(
                    text(
                        "INSERT INTO household_members (person_id, household_id, name,"
                        " relation, id_number_hash, id_number_masked, active)"
                        " VALUES (:p, :h, 'x', 'head', NULL, 'x', :a)"
                    ),
                    {"p": pid, "h": HOUSEHOLD, "a": pid == HEAD},
                )
            await erase(conn, LEFT, NOW)  # erased before the upgrade: their key is gone

        await migrate.upgrade(engine, spec.migrations)
        async with engine.begin() as conn:
            rows = await stored_events(conn)
            stored = " ".join(json.dumps(data, ensure_ascii=False) for _, data in rows)
            keys = await person_keys(conn, key, [HEAD, LEFT])
            sealed_rows = dict(
                (await conn.execute(text("SELECT person_id, sealed FROM household_members"))).all()
            )
        assert [kind for kind, _ in rows] == [
            reg.HouseholdRegisteredV3.TYPE,
            reg.MemberUpdatedV2.TYPE,
        ]
        for personal in ("王建国", "李秀英", "1985-03-02", "0039", "0045", "chronic_illness"):
            assert personal not in stored, personal
        registered = reg.HouseholdRegisteredV3.model_validate(rows[0][1])
        head, left = registered.members
        assert (head.birth_year, head.birth_month) == (1985, 3)
        assert keys[HEAD].open(head.sealed or "")["name"] == "王建国"
        assert left.sealed is None and LEFT not in keys  # erased: nothing to seal under
        update = reg.MemberUpdatedV2.model_validate(rows[1][1])
        assert keys[HEAD].open(update.sealed or "") == {
            "name": "王建国",
            "sex": "male",
            "birth_date": "1985-03-02",
            "health": "chronic_illness",
            "id_number_masked": "*" * 14 + "0039",
        }
        assert sealed_rows == {HEAD: update.sealed, LEFT: None}

        await migrate.downgrade(engine, spec.migrations, "r0004")
        async with engine.connect() as conn:
            rows = await stored_events(conn)
            names = dict(
                (await conn.execute(text("SELECT person_id, name FROM household_members"))).all()
            )
        assert [kind for kind, _ in rows] == [
            reg.HouseholdRegisteredV2.TYPE,
            reg.MemberUpdatedV1.TYPE,
        ]
        back = reg.HouseholdRegisteredV2.model_validate(rows[0][1])
        assert [(m.name, m.birth_date) for m in back.members] == [
            ("王建国", date(1985, 3, 2)),
            ("(erased)", None),
        ]
        assert rows[1][1]["health"] == "chronic_illness"
        assert names == {HEAD: "王建国", LEFT: "(erased)"}
    finally:
        await engine.dispose()
