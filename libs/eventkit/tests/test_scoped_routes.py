"""Authorization on the request the handler executes, on a small service built like the
real ones: the scope is read from one declared place of the validated request, a query
parameter the route does not declare is refused, input is validated before the scope is
checked, and a refusal names who asked for what."""

from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from pydantic import BaseModel, ConfigDict

from tuopin_eventkit.security import auth
from tuopin_eventkit.security.auth import (
    Access,
    Principal,
    Role,
    Rule,
    Target,
    looked_up,
    region_of,
)
from tuopin_eventkit.testing import bearer, client_for, offline, own_spec
from tuopin_eventkit.web.http import Router
from tuopin_eventkit.web.runtime import Runtime
from tuopin_eventkit.web.service import create_app

HERE, THERE = "621121100201", "621122100201"


class Filing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    village_code: str
    note: str


router = Router()


@router.post("/v1/filings")
async def file(filing: Filing) -> dict[str, str]:
    return {"filed_in": filing.village_code}  # what the handler acted on


@router.get("/v1/listings")
def listing(region: str | None = None) -> dict[str, str | None]:  # a sync endpoint too
    return {"listed": region}


@router.get("/v1/things/{thing_id}")
async def thing(thing_id: str) -> dict[str, str]:
    return {"thing": thing_id}


THINGS = {"here": HERE, "there": THERE}


async def _thing(runtime: Runtime, thing_id: str) -> Target | None:
    return Target(region=THINGS[thing_id]) if thing_id in THINGS else None


unchecked = APIRouter()  # not the kernel's Router: nothing would check its scope


@unchecked.get("/v1/unchecked/{village_code}")
async def unchecked_route(village_code: str) -> dict[str, str]:
    return {"village": village_code}


ACCESS = {
    "POST /v1/filings": Rule(Access.WRITE, region_of(body="village_code")),
    "GET /v1/listings": Rule(Access.READ, region_of(query="region")),
    "GET /v1/things/{thing_id}": Rule(Access.READ, looked_up(_thing, path="thing_id")),
    "GET /v1/unchecked/{village_code}": Rule(Access.READ, region_of(path="village_code")),
}


def service(tmp_path: Path, access: auth.AccessRules = ACCESS) -> FastAPI:
    spec = own_spec(tmp_path, "scoped", routers=[router, unchecked], access=access)
    return create_app(spec, offline(tmp_path))


def as_(app: FastAPI, who: Principal) -> dict[str, str]:
    return bearer(app.state.runtime.settings.auth, who)


OFFICER = Principal("wang", Role.COUNTY_OFFICER, region=HERE[:6])
BANK = Principal("rcc", Role.BANK, org="gansu-rcc")


async def test_the_scope_is_the_body_the_handler_gets_never_the_query_string(tmp_path) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        officer = as_(app, OFFICER)
        there = {"village_code": THERE, "note": "x"}
        # The attack: the query names the officer's village, the body another county's.
        attack = await client.post(
            "/v1/filings", params={"village_code": HERE}, json=there, headers=officer
        )
        assert attack.status_code == 422, attack.text
        assert attack.json()["errors"][0]["loc"] == ["query", "village_code"]
        refused = await client.post("/v1/filings", json=there, headers=officer)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "a county_officer of 621121 may not POST /v1/filings for region 621122100201"
        )
        mine = await client.post(
            "/v1/filings", json={**there, "village_code": HERE}, headers=officer
        )
        assert mine.json() == {"filed_in": HERE}


async def test_a_declared_query_parameter_is_a_scope_and_validated_like_the_rest(tmp_path) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        officer = as_(app, OFFICER)
        mine = await client.get("/v1/listings", params={"region": "621121"}, headers=officer)
        assert mine.json() == {"listed": "621121"}  # the sync endpoint ran, once checked
        other = await client.get("/v1/listings", params={"region": "621122"}, headers=officer)
        assert other.status_code == 403
        # Left out: the whole province, the province's to read.
        assert (await client.get("/v1/listings", headers=officer)).status_code == 403
        assert (await client.get("/v1/listings")).json() == {"listed": None}


@pytest.mark.parametrize("url", ["/v1/listings", "/v1/events", "/healthz"])
async def test_an_undeclared_query_parameter_is_refused_on_every_route(tmp_path, url) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        answer = await client.get(url, params={"debug": "1"})
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert [e["loc"] for e in answer.json()["errors"]] == [["query", "debug"]]


async def test_bad_input_answers_422_or_404_to_a_role_the_route_is_for(tmp_path) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        officer, bank = as_(app, OFFICER), as_(app, BANK)
        # Malformed, whichever county it names: validated before the scope is checked.
        malformed = await client.post("/v1/filings", json={"village_code": THERE}, headers=officer)
        assert malformed.status_code == 422
        # An id that names nothing: 404; one that names something elsewhere: 403.
        assert (await client.get("/v1/things/nothing", headers=officer)).status_code == 404
        assert (await client.get("/v1/things/here", headers=officer)).status_code == 200
        assert (await client.get("/v1/things/there", headers=officer)).status_code == 403
        # A role the route is not for is refused whatever it sends.
        refused = await client.post("/v1/filings", json={}, headers=bank)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "a bank of gansu-rcc may not POST /v1/filings: not open to a bank"
        )


async def test_a_scoped_route_not_built_with_the_kernels_router_is_refused(tmp_path) -> None:
    app = service(tmp_path)
    async with client_for(app) as client:
        answer = await client.get(f"/v1/unchecked/{HERE}")
        assert answer.status_code == 403 and "cannot check its scope" in answer.text


def test_a_service_whose_scope_is_read_from_nowhere_refuses_to_start(tmp_path) -> None:
    wrong: dict[str, Any] = {
        **ACCESS,
        "POST /v1/filings": Rule(Access.WRITE, region_of(body="code")),
    }
    with pytest.raises(RuntimeError, match="no body field code"):
        service(tmp_path, wrong)
    wrong["POST /v1/filings"] = Rule(Access.WRITE, region_of(query="village_code"))
    with pytest.raises(RuntimeError, match="no query field village_code"):
        service(tmp_path, wrong)


def test_a_scope_is_read_from_exactly_one_place() -> None:
    with pytest.raises(TypeError):
        region_of(path="village_code", body="village_code")
    with pytest.raises(TypeError):
        region_of()


async def test_each_request_is_timed_under_its_route_template_and_status(tmp_path) -> None:
    """Latency by route template (an id in the path must not become a label), with the
    status answered — refusals and unmatched paths included."""

    def count(route: str, status: int) -> float:
        labels = {"service": "scoped", "method": "GET", "route": route, "status": str(status)}
        return REGISTRY.get_sample_value("tuopin_http_request_seconds_count", labels) or 0.0

    template = "/v1/things/{thing_id}"
    before = {s: count(template, s) for s in (200, 401, 404)} | {0: count("unmatched", 404)}
    app = service(tmp_path)
    async with client_for(app) as client:
        officer = as_(app, OFFICER)
        assert (await client.get("/v1/things/here", headers=officer)).status_code == 200
        assert (await client.get("/v1/things/nowhere", headers=officer)).status_code == 404
        assert (
            await client.get("/v1/things/here", headers={"Authorization": "Bearer forged"})
        ).status_code == 401
        assert (await client.get("/v1/nothing-here")).status_code == 404
    assert count(template, 200) == before[200] + 1
    assert count(template, 404) == before[404] + 1
    assert count(template, 401) == before[401] + 1
    assert count("unmatched", 404) == before[0] + 1
    assert count("/v1/things/here", 200) == 0.0
