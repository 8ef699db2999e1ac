"""`tuopin-evaluation rebuild` replays a read model from the topic, as ops would run it."""

from tuopin_contracts import Topic
from tuopin_contracts.examples import household_registered
from tuopin_evaluation.application.facts import households as registered_households
from tuopin_eventkit.db import create_engine
from tuopin_eventkit.messaging.kafka import ensure_topics
from tuopin_eventkit.testing import counted, publish, service_command


async def test_rebuild_replays_every_registered_household(database_url, kafka_settings) -> None:
    env = {
        "TUOPIN_EVALUATION_DATABASE_URL": database_url,
        "TUOPIN_EVALUATION_KAFKA__BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
    }
    await ensure_topics(kafka_settings, [Topic.REGISTRY])
    events = [household_registered(county_code=c) for c in ("621121", "620102") * 6]
    await publish(kafka_settings, Topic.REGISTRY, *events)

    assert (await service_command("evaluation", "migrate", env=env))[0] == 0
    code, output = await service_command("evaluation", "rebuild", "evaluation.households", env=env)
    assert code == 0, output
    assert "12 events applied" in output
    code, output = await service_command("evaluation", "rebuild", "evaluation.households", env=env)
    assert "12 events applied" in output  # from zero again, not on top

    engine = create_engine(database_url)
    counties = await counted(engine, registered_households.c.county_code)
    await engine.dispose()
    assert counties == {"621121": 6, "620102": 6}

    code, output = await service_command("evaluation", "rebuild", "evaluation.nonsense", env=env)
    assert code == 2 and "has no projection 'evaluation.nonsense'" in output
