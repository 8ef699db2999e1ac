"""The registry's read models are derived data: rebuilt from the event store, they equal
what the live inline projections wrote."""

import pytest
from sqlalchemy import select

from tuopin_eventkit.db import read_only
from tuopin_eventkit.testing import client_for
from tuopin_eventkit.web.runtime import Runtime
from tuopin_registry.application.household_index import household_members, households
from tuopin_registry.entrypoints.app import app, spec
from tuopin_registry.examples import filing, member, resident_id


async def snapshot(runtime: Runtime) -> tuple[list, list]:
    async with read_only(runtime.engine).connect() as conn:
        homes = (await conn.execute(select(households).order_by(households.c.household_id))).all()
        people = (
            await conn.execute(select(household_members).order_by(household_members.c.person_id))
        ).all()
    return [tuple(r) for r in homes], [tuple(r) for r in people]


async def test_rebuilding_the_household_index_from_the_store_equals_the_live_one(
    settings,
) -> None:
    async with client_for(app(settings)) as client:
        ids = []
        for i in range(6):
            body = filing(
                f"621121-{i:04d}",
                members=[member(id_number=resident_id()), member("child", id_number=resident_id())],
            )
            ids.append((await client.post("/v1/households", json=body)).json()["household_id"])
        for household_id in ids[:3]:
            await client.post(
                f"/v1/households/{household_id}/assistance", json={"effective_date": "2016-05-01"}
            )
        await client.post(
            f"/v1/households/{ids[4]}/removal",
            json={"effective_date": "2016-06-01", "reason": "家有商铺，识别不准"},
        )

    runtime = Runtime.open(spec, settings)
    try:
        live = await snapshot(runtime)
        async with runtime.engine.begin() as conn:  # the read model drifts
            await conn.execute(households.delete())
        applied = await runtime.rebuild(spec.projection("registry.household_index"))
        assert applied == 10
        assert await snapshot(runtime) == live
        status = list(households.c.keys()).index("status")
        assert [row[status] for row in live[0]].count("removed") == 1
    finally:
        await runtime.engine.dispose()


def test_the_exit_handshake_is_a_reaction_that_no_rebuild_runs_again() -> None:
    """Replaying verdicts would exit households twice (InvalidTransition on every one)."""
    with pytest.raises(KeyError, match="is a reaction, not a read model"):
        spec.projection("registry.exit_verifications")
    (reaction,) = [r for r in spec.subscriptions if r.name == "registry.exit_verifications"]
    assert reaction.topics == ["tuopin.evaluation.events"]
