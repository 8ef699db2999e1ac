"""A command route declares its answer model once: the answer ``respond`` makes is checked
against it as it goes out, a field too many or too few failing, or a status the route does
not declare; a replay goes out as it was stored; ``answer_of`` makes a model from an event,
less the fields it must not say."""

import json
from datetime import date

import pytest
from fastapi.exceptions import ResponseValidationError
from pydantic import BaseModel

from tuopin_eventkit.answers import answer_of
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.http import Answer, ScopedRoute, respond


class Filed(Answer):
    file_number: str
    version: int


def route_answering(body: dict[str, object], replayed: bool = False) -> ScopedRoute:
    async def endpoint() -> object:
        return respond(Outcome(body, created=True, replayed=replayed))

    return ScopedRoute("/v1/files", endpoint, response_model=Filed, status_code=201)


async def test_an_answer_its_model_says_goes_out_as_it_is() -> None:
    answer = await route_answering({"file_number": "F-1", "version": 1}).endpoint()
    assert (answer.status_code, answer.body) == (201, b'{"file_number":"F-1","version":1}')
    assert answer.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "body", [{"file_number": "F-1"}, {"file_number": "F-1", "version": 1, "secret": "x"}]
)
async def test_a_field_missing_or_unsaid_fails(body: dict[str, object]) -> None:
    with pytest.raises(ResponseValidationError):
        await route_answering(body).endpoint()


async def test_a_status_the_route_does_not_declare_fails() -> None:
    async def endpoint() -> object:
        return respond(Outcome({"file_number": "F-1", "version": 2}))  # 200: not created

    route = ScopedRoute("/v1/files", endpoint, response_model=Filed, status_code=201)
    with pytest.raises(ResponseValidationError):
        await route.endpoint()


class Noted(Answer):
    note: str


async def test_a_union_of_models_takes_either() -> None:
    async def endpoint() -> object:
        return respond(Outcome({"note": "n"}))

    route = ScopedRoute("/v1/notes", endpoint, response_model=Filed | Noted)
    assert (await route.endpoint()).status_code == 200


async def test_a_replay_is_the_stored_answer_unchecked() -> None:
    stored = {"file_number": "F-1", "version": 1, "erased": True}  # as scrubbed since
    answer = await route_answering(stored, replayed=True).endpoint()
    assert answer.headers["Idempotent-Replayed"] == "true"


class Recorded(BaseModel):
    household_id: str
    id_number_hash: str
    on: date


def test_answer_of_says_the_event_less_what_it_drops() -> None:
    model = answer_of(Recorded, "Said", drop={"id_number_hash"}, kind=str)
    assert list(model.model_fields) == ["household_id", "on", "kind"]
    model.model_validate({"household_id": "h", "on": "2020-01-01", "kind": "x"})
    with pytest.raises(ValueError):
        model.model_validate(
            {"household_id": "h", "on": "2020-01-01", "kind": "x", "id_number_hash": "a"}
        )


def test_an_answer_is_written_as_json_dumps_would_write_it() -> None:
    """Compact UTF-8, Chinese unescaped, quotes and backslashes escaped, dates as ISO."""
    body = {"村": "甘肃省临洮县", "list": [1, 2.5, None, True], "q": '"\\', "on": date(2016, 5, 1)}
    written = respond(Outcome(body)).body
    before = json.dumps(Outcome(body).body, ensure_ascii=False, separators=(",", ":"))
    assert written == before.encode()
    assert json.loads(written)["on"] == "2016-05-01"
