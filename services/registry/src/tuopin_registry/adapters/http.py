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


# Every other household change: how the household decides, given the request body, the
# household id and (on member and measure routes) the item id in the path.
Decide = Callable[[Household, Any, str, str], None]


def recorded(kind: type, method: str, item: str | None = None) -> Decide:
    """Decide by recording the request body as event ``kind`` through ``method``."""

    def decide(h: Household, body: Any, household_id: str, item_id: str) -> None:
        extra = {item: item_id} if item else {}
        getattr(h, method)(kind(household_id=household_id, **body.model_dump(), **extra))

    return decide


def with_new_id(kind: type, method: str, id_field: str) -> Decide:
    """Like ``recorded``, for things the household lists under a new id (needs, measures)."""

    def decide(h: Household, body: Any, household_id: str, _: str) -> None:
        new = {id_field: str(uuid4())}
        getattr(h, method)(kind(household_id=household_id, **new, **body.model_dump()))

    return decide


def income(h: Household, body: s.Income, household_id: str, _: str) -> None:
    total = body.wages + body.production_and_business + body.property + body.transfers
    members = max(h.size, 1)
    h.record_income(
        ev.IncomeRecorded(
            household_id=household_id,
            members=members,
            per_head=total // members,
            **body.model_dump(),
        )
    )


ROUTES: list[tuple[str, type[BaseModel], str, str, Decide]] = [
    ("members/{item_id}/removal", s.Dated, "households",
     "A member leaves (death, marriage out, separate household …)",
     recorded(ev.MemberRemoved, "remove_member", "person_id")),
    ("members/{item_id}/changes", s.MemberChanges, "households",
     "A member's schooling, health, labour or insurance changed",
     recorded(ev.MemberUpdated, "update_member", "person_id")),
    ("causes", s.Causes, "households", "Record the causes (致贫原因)",
     recorded(ev.CausesRecorded, "record_causes")),
    ("incomes", s.Income, "households", "Record a year's income (per head is computed)", income),
    ("conditions", s.Conditions, "households", "Assess housing and drinking-water safety",
     recorded(ev.ConditionsAssessed, "assess_conditions")),
    ("needs", s.Need, "households", "List a need (需求清单)",
     with_new_id(ev.NeedListed, "list_need", "need_id")),
    ("measures", s.MeasurePlan, "households", "Plan an assistance measure (帮扶措施)",
     with_new_id(ev.MeasurePlanned, "plan_measure", "measure_id")),
    ("measures/{item_id}/progress", s.Progress, "households",
     "Enter progress in the work ledger (工作台账)",
     recorded(ev.MeasureProgressed, "record_progress", "measure_id")),
    ("responsibility", s.Responsibility, "households",
     "Assign the responsible cadre and unit (帮扶责任人)",
     recorded(ev.ResponsibilityAssigned, "assign_responsibility")),
    ("relocation", s.Relocation, "households", "Record relocation (易地搬迁)",
     recorded(ev.RelocationRecorded, "record_relocation")),
    ("cooperative", s.Cooperative, "households", "Record joining a cooperative",
     recorded(ev.CooperativeJoined, "join_cooperative")),
    ("assistance", s.Dated, "lifecycle", "Start (or resume) assistance",
     lambda h, b, _, __: h.start_assistance(b.effective_date, b.reason)),
    ("exit-proposal", s.ExitProposal, "lifecycle",
     "Propose exit after the village's democratic appraisal (民主评议)",
     lambda h, b, _, __: h.propose_exit(b.appraisal_date, b.reason)),
    ("exit-notice", s.ExitNotice, "lifecycle",
     "Put the proposed exit on public notice (公示); evaluation then verifies",
     lambda h, b, _, __: h.publicise_exit(b.notice_from, b.notice_until, b.reason)),
    ("return-to-poverty", s.Return, "lifecycle", "An exited household returned to poverty (返贫)",
     lambda h, b, _, __: h.return_to_poverty(b.cause, b.effective_date, b.reason)),
    ("removal", s.Removal, "lifecycle", "Remove a wrongly identified household (清退)",
     lambda h, b, _, __: h.remove(b.effective_date, b.reason)),
]  # fmt: skip


def _household_route(
    path: str, model: type[BaseModel], tag: str, summary: str, decide: Decide
) -> None:
    async def endpoint(
        household_id: UUID,
        body: model,  # type: ignore[valid-type]
        runtime: RuntimeDep,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
        item_id: UUID | None = None,
    ) -> JSONResponse:
        hid, item = str(household_id), str(item_id)
        return await change(
            runtime, household_id, path, body, if_match, idempotency_key,
            lambda h: decide(h, body, hid, item),
        )  # fmt: skip

    async def item_endpoint(
        household_id: UUID,
        item_id: UUID,
        body: model,  # type: ignore[valid-type]
        runtime: RuntimeDep,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        return await endpoint(household_id, body, runtime, if_match, idempotency_key, item_id)

    route = item_endpoint if "{item_id}" in path else endpoint
    route.__name__ = path.replace("/", "_").replace("{item_id}", "item").replace("-", "_")
    router.post(f"/households/{{household_id}}/{path}", tags=[tag], summary=summary)(route)


for _route in ROUTES:
    _household_route(*_route)


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
