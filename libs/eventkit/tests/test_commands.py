"""A route's ``Command`` runs its decision once per Idempotency-Key, with the store, and
answers as ``respond`` does: Location filled from the answer; If-Match read only when the
decision runs, so a retry gets its first answer whatever it sends."""

from dataclasses import dataclass, field
from typing import Any, cast

import pytest
from fastapi import HTTPException

from tuopin_eventkit.store.idempotency import Command as Decision
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import Command
from tuopin_eventkit.web.runtime import Runtime


@dataclass
class Keys:
    """A runtime's ``execute`` and ``store``, remembering the first answer per key."""

    store: object = field(default_factory=object)
    answers: dict[str | None, Outcome] = field(default_factory=dict)
    asked: list[tuple[str, Any]] = field(default_factory=list)

    async def execute(self, scope: str, key: str | None, request: Any, run: Decision) -> Outcome:
        self.asked.append((scope, request))
        if key in self.answers:
            first = self.answers[key]
            return Outcome(first.body, first.created, replayed=True)
        self.answers[key] = await run(cast(Any, "conn"))
        return self.answers[key]


def command(keys: Keys, if_match: str | None = None) -> Command:
    return Command(cast(Runtime, keys), "k-1", if_match)


async def test_a_command_decides_with_the_store_and_says_where_it_created() -> None:
    keys = Keys()

    async def decide(conn: Any, store: object) -> Outcome:
        assert (conn, store) == ("conn", keys.store)
        return Outcome({"centre_id": "c-1", "version": 1}, created=True)

    answer = await command(keys).run("centres", {"name": "n"}, decide, "/v1/centres/{centre_id}")
    assert (answer.status_code, answer.headers["Location"]) == (201, "/v1/centres/c-1")
    assert answer.headers["ETag"] == '"1"'
    assert keys.asked == [("centres", {"name": "n"})]


async def test_a_retry_replays_the_first_answer_without_reading_if_match() -> None:
    keys = Keys()

    async def decide(conn: Any, store: object) -> Outcome:
        return Outcome({"version": retry.version() or 0})

    retry = command(keys, if_match="not a version")
    keys.answers["k-1"] = Outcome({"version": 4})
    answer = await retry.run("centres", {}, decide)
    assert (answer.status_code, answer.headers["Idempotent-Replayed"]) == (200, "true")


async def test_if_match_names_the_version_or_is_refused() -> None:
    assert command(Keys(), '"3"').version() == 3
    assert command(Keys()).version() is None
    with pytest.raises(HTTPException) as refused:
        command(Keys(), "three").version()
    assert refused.value.status_code == 400
