"""The registry's REST API: filing, changes, lifecycle, villages, lists, notices, counts.

Every POST takes an Idempotency-Key (a retry returns the first answer) and household
changes take If-Match with the version they were decided on (a stale one gets 409).
"""

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.vocabulary import HouseholdStatus, PovertyAttribute, PovertyCause
from tuopin_eventkit import idempotency
from tuopin_eventkit.aggregate import NotFound
from tuopin_eventkit.http import (
    History,
    IdempotencyKey,
    IfMatch,
    expected_version,
    history,
    respond,
)
from tuopin_eventkit.idempotency import Outcome
from tuopin_eventkit.service import Runtime, RuntimeDep
from tuopin_registry.adapters import schemas as s
from tuopin_registry.application import commands, queries
from tuopin_registry.application.identity import IdentityKeys
from tuopin_registry.application.mapping import households as household_repository
from tuopin_registry.domain import events as ev
from tuopin_registry.domain import village as vi
from tuopin_registry.domain.household import Household
from tuopin_registry.reference.regions import gansu

router = APIRouter(prefix="/v1")
VillageCodePath = Path(pattern=r"^62[0-9]{10}$", description="12-digit village code")
Command = Callable[[AsyncConnection], Awaitable[Outcome]]
AsOf = Annotated[AwareDatetime | None, Query(description="State as it stood at this instant")]


def keys(runtime: Runtime) -> IdentityKeys:
    return IdentityKeys(runtime.settings.identity_key.get_secret_value())  # type: ignore[attr-defined]


async def run(
    runtime: Runtime, scope: str, key: str | None, request: Any, command: Command
) -> Outcome:
    return await idempotency.execute(
        runtime.engine, runtime.store, command, f"registry.{scope}", key, request
    )


# --- filing and household changes --------------------------------------------------------


@router.post(
    "/households", status_code=201, tags=["households"], summary="File a household (建档立卡)"
)
async def register(
    body: s.HouseholdFiling, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    filing = body.model_dump(exclude={"members"})
    members = [m.model_dump() for m in body.members]

    async def command(conn: AsyncConnection) -> Outcome:
        return await commands.register_household(
            conn, runtime.store, keys(runtime), dict(filing), [dict(m) for m in members]
        )

    outcome = await run(runtime, "register", idempotency_key, body.model_dump(mode="json"), command)
    return respond(outcome, location=f"/v1/households/{outcome.body['household_id']}")


async def change(
    runtime: Runtime,
    household_id: UUID,
    scope: str,
    body: BaseModel,
    if_match: str | None,
    key: str | None,
    decide: Callable[[Household], None],
) -> JSONResponse:
    async def command(conn: AsyncConnection) -> Outcome:
        return await commands.change_household(
            conn, runtime.store, str(household_id), expected_version(if_match), decide
        )

    request = {"household": str(household_id), **body.model_dump(mode="json")}
    return respond(await run(runtime, scope, key, request, command))


def fact(kind: type, household_id: UUID, body: BaseModel, **more: Any) -> Any:
    return kind(household_id=str(household_id), **body.model_dump(), **more)


@router.post("/households/{household_id}/members", tags=["households"], summary="Add a member")
async def add_member(
    household_id: UUID,
    body: s.NewMember,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def command(conn: AsyncConnection) -> Outcome:
        return await commands.add_member(
            conn,
            runtime.store,
            keys(runtime),
            str(household_id),
            expected_version(if_match),
            body.member.model_dump(),
            body.effective_date,
            body.reason,
        )

    request = {"household": str(household_id), **body.model_dump(mode="json")}
    return respond(await run(runtime, "add-member", idempotency_key, request, command))


@router.post(
    "/households/{household_id}/members/{person_id}/removal",
    tags=["households"],
    summary="A member leaves (death, marriage out, separate household …)",
)
async def remove_member(
    household_id: UUID,
    person_id: UUID,
    body: s.Dated,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    event = fact(ev.MemberRemoved, household_id, body, person_id=str(person_id))
    return await change(
        runtime,
        household_id,
        "remove-member",
        body,
        if_match,
        idempotency_key,
        lambda h: h.remove_member(event),
    )


@router.post(
    "/households/{household_id}/members/{person_id}/changes",
    tags=["households"],
    summary="A member's schooling, health, labour or insurance changed",
)
async def update_member(
    household_id: UUID,
    person_id: UUID,
    body: s.MemberChanges,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    event = fact(ev.MemberUpdated, household_id, body, person_id=str(person_id))
    return await change(
        runtime,
        household_id,
        "update-member",
        body,
        if_match,
        idempotency_key,
        lambda h: h.update_member(event),
    )


# Household facts whose request body is the event itself.
FACTS: list[tuple[str, type[BaseModel], type, str, str]] = [
    ("causes", s.Causes, ev.CausesRecorded, "record_causes", "Record the causes (致贫原因)"),
    (
        "conditions",
        s.Conditions,
        ev.ConditionsAssessed,
        "assess_conditions",
        "Assess housing and drinking-water safety",
    ),
    (
        "responsibility",
        s.Responsibility,
        ev.ResponsibilityAssigned,
        "assign_responsibility",
        "Assign the responsible cadre and unit (帮扶责任人)",
    ),
    (
        "relocation",
        s.Relocation,
        ev.RelocationRecorded,
        "record_relocation",
        "Record relocation (易地搬迁)",
    ),
    (
        "cooperative",
        s.Cooperative,
        ev.CooperativeJoined,
        "join_cooperative",
        "Record joining a cooperative",
    ),
]


def _fact_route(path: str, model: type[BaseModel], event: type, method: str, summary: str) -> None:
    async def endpoint(
        household_id: UUID,
        body: model,
        runtime: RuntimeDep,  # type: ignore[valid-type]
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        recorded = fact(event, household_id, body)
        return await change(
            runtime,
            household_id,
            path,
            body,
            if_match,
            idempotency_key,
            lambda h: getattr(h, method)(recorded),
        )

    endpoint.__name__ = method
    router.post(f"/households/{{household_id}}/{path}", tags=["households"], summary=summary)(
        endpoint
    )


for _fact in FACTS:
    _fact_route(*_fact)


@router.post(
    "/households/{household_id}/incomes",
    tags=["households"],
    summary="Record a year's income (人均纯收入 is computed)",
)
async def record_income(
    household_id: UUID,
    body: s.Income,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    total = body.wages + body.production_and_business + body.property + body.transfers

    def decide(h: Household) -> None:
        members = max(h.size, 1)
        h.record_income(
            fact(ev.IncomeRecorded, household_id, body, members=members, per_head=total // members)
        )

    return await change(runtime, household_id, "income", body, if_match, idempotency_key, decide)


@router.post(
    "/households/{household_id}/needs", tags=["households"], summary="List a need (需求清单)"
)
async def list_need(
    household_id: UUID,
    body: s.Need,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    need = fact(ev.NeedListed, household_id, body, need_id=str(uuid4()))
    return await change(
        runtime, household_id, "need", body, if_match, idempotency_key, lambda h: h.list_need(need)
    )


@router.post(
    "/households/{household_id}/measures",
    tags=["households"],
    summary="Plan an assistance measure (帮扶措施)",
)
async def plan_measure(
    household_id: UUID,
    body: s.MeasurePlan,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    plan = fact(ev.MeasurePlanned, household_id, body, measure_id=str(uuid4()))
    return await change(
        runtime,
        household_id,
        "measure",
        body,
        if_match,
        idempotency_key,
        lambda h: h.plan_measure(plan),
    )


@router.post(
    "/households/{household_id}/measures/{measure_id}/progress",
    tags=["households"],
    summary="Enter progress in the work ledger (工作台账)",
)
async def record_progress(
    household_id: UUID,
    measure_id: UUID,
    body: s.Progress,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    progress = fact(ev.MeasureProgressed, household_id, body, measure_id=str(measure_id))
    return await change(
        runtime,
        household_id,
        "progress",
        body,
        if_match,
        idempotency_key,
        lambda h: h.record_progress(progress),
    )


# --- lifecycle (有进有出) ----------------------------------------------------------------


@router.post(
    "/households/{household_id}/assistance",
    tags=["lifecycle"],
    summary="Start (or resume) assistance",
)
async def start_assistance(
    household_id: UUID,
    body: s.Dated,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await change(
        runtime,
        household_id,
        "assistance",
        body,
        if_match,
        idempotency_key,
        lambda h: h.start_assistance(body.effective_date, body.reason),
    )


@router.post(
    "/households/{household_id}/exit-proposal",
    tags=["lifecycle"],
    summary="Propose exit after the village's democratic appraisal (民主评议)",
)
async def propose_exit(
    household_id: UUID,
    body: s.ExitProposal,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await change(
        runtime,
        household_id,
        "exit-proposal",
        body,
        if_match,
        idempotency_key,
        lambda h: h.propose_exit(body.appraisal_date, body.reason),
    )


@router.post(
    "/households/{household_id}/exit-notice",
    tags=["lifecycle"],
    summary="Put the proposed exit on public notice (公示); evaluation then verifies",
)
async def publicise_exit(
    household_id: UUID,
    body: s.ExitNotice,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await change(
        runtime,
        household_id,
        "exit-notice",
        body,
        if_match,
        idempotency_key,
        lambda h: h.publicise_exit(body.notice_from, body.notice_until, body.reason),
    )


@router.post(
    "/households/{household_id}/return-to-poverty",
    tags=["lifecycle"],
    summary="An exited household returned to poverty (返贫)",
)
async def return_to_poverty(
    household_id: UUID,
    body: s.Return,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await change(
        runtime,
        household_id,
        "return",
        body,
        if_match,
        idempotency_key,
        lambda h: h.return_to_poverty(body.cause, body.effective_date, body.reason),
    )


@router.post(
    "/households/{household_id}/removal",
    tags=["lifecycle"],
    summary="Remove a wrongly identified household (清退)",
)
async def remove(
    household_id: UUID,
    body: s.Removal,
    runtime: RuntimeDep,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    return await change(
        runtime,
        household_id,
        "removal",
        body,
        if_match,
        idempotency_key,
        lambda h: h.remove(body.effective_date, body.reason),
    )


# --- reading households ------------------------------------------------------------------


@router.get("/households", tags=["households"], summary="List and filter households")
async def list_households(
    runtime: RuntimeDep,
    region: Annotated[
        str | None,
        Query(
            pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$",
            description="Any level: 620000, 621100, 621121, …",
        ),
    ] = None,
    status: HouseholdStatus | None = None,
    cause: PovertyCause | None = None,
    attribute: PovertyAttribute | None = None,
    cadre: Annotated[str | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    where = queries.HouseholdFilter(region, status, cause, attribute, cadre)
    async with runtime.reader.connect() as conn:
        total, items = await queries.list_households(conn, where, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/households/{household_id}",
    tags=["households"],
    summary="A household's file, now or as of a past instant",
)
async def read(household_id: UUID, runtime: RuntimeDep, as_of: AsOf = None) -> JSONResponse:
    async with runtime.reader.connect() as conn:
        household = await household_repository(runtime.store).get(conn, str(household_id), as_of)
    if household is None:
        raise NotFound(f"no household {household_id}" + (f" as of {as_of}" if as_of else ""))
    return respond(Outcome(200, commands.view(household)))


@router.get(
    "/households/{household_id}/history",
    response_model=History,
    tags=["households"],
    summary="Every event of a household with actor, reason and time",
)
async def household_history(household_id: UUID, runtime: RuntimeDep, as_of: AsOf = None) -> History:
    result = await history(runtime, str(household_id), as_of)
    if not result.events and as_of is None:
        raise NotFound(f"no household {household_id}")
    return result


# --- villages, notices, counts, reports ---------------------------------------------------


@router.post("/villages", status_code=201, tags=["villages"], summary="Register a village")
async def register_village(
    body: s.VillageRegistration, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def command(conn: AsyncConnection) -> Outcome:
        return await commands.register_village(
            conn, runtime.store, vi.VillageRegistered(**body.model_dump())
        )

    outcome = await run(runtime, "village", idempotency_key, body.model_dump(mode="json"), command)
    return respond(outcome, location=f"/v1/villages/{body.village_code}")


def _village_route(path: str, model: type[BaseModel], event: type, summary: str) -> None:
    async def endpoint(
        village_code: Annotated[str, VillageCodePath],
        body: model,  # type: ignore[valid-type]
        runtime: RuntimeDep,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        recorded = event(village_code=village_code, **body.model_dump())

        async def command(conn: AsyncConnection) -> Outcome:
            return await commands.change_village(conn, runtime.store, village_code, recorded)

        request = {"village": village_code, **body.model_dump(mode="json")}
        return respond(await run(runtime, f"village-{path}", idempotency_key, request, command))

    endpoint.__name__ = f"village_{path}"
    router.post(f"/villages/{{village_code}}/{path}", tags=["villages"], summary=summary)(endpoint)


_village_route(
    "responsibility",
    s.VillageResponsibility,
    vi.VillageResponsibilityAssigned,
    "Assign first secretary, work team and responsible unit",
)
_village_route(
    "profile",
    s.VillageProfile,
    vi.VillageProfileRecorded,
    "Record poverty standing, population, cooperatives, mutual-aid fund",
)


@router.get("/villages/{village_code}", tags=["villages"], summary="A village")
async def read_village(
    village_code: Annotated[str, VillageCodePath], runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        found = await queries.village(conn, village_code)
    if found is None:
        raise NotFound(f"no village {village_code}")
    return found


@router.get(
    "/villages/{village_code}/public-notice",
    tags=["villages"],
    summary="公告公示: identified households and exits on notice, personal data masked",
)
async def public_notice(
    village_code: Annotated[str, VillageCodePath], runtime: RuntimeDep
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return {"village_code": village_code, **await queries.public_notice(conn, village_code)}


@router.get("/summary", tags=["reports"], summary="Households and people by region and status")
async def summary(
    runtime: RuntimeDep,
    region: Annotated[str, Query(pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$")] = "620000",
    level: Literal["city", "county", "township", "village"] = "county",
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return {
            "region": region,
            "level": level,
            "regions": await queries.summary(conn, region, level),
        }


@router.get(
    "/reports/without-responsible",
    tags=["reports"],
    summary="不脱贫不脱钩: households and poor villages nobody answers for",
)
async def without_responsible(
    runtime: RuntimeDep,
    region: Annotated[str, Query(pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$")] = "620000",
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await queries.without_responsible(conn, region)


@router.get("/regions/{code}", tags=["reference"], summary="A region and its sub-regions")
async def region(code: Annotated[str, Path(pattern=r"^62[0-9]{4}$")]) -> dict[str, Any]:
    table = gansu()
    found = table.get(code)
    if found is None:
        raise HTTPException(404, f"no region {code}")
    return {**asdict(found), "children": [asdict(c) for c in table.children(code)]}
