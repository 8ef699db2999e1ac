"""Households over HTTP: filing, every change as a command, lists and the file itself."""

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.bounds import Text
from tuopin_contracts.events import registry as reg
from tuopin_contracts.vocabulary import HouseholdStatus, PovertyAttribute, PovertyCause
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.commands import CommandDep, VersionedCommandDep
from tuopin_eventkit.web.http import (
    AsOf,
    History,
    KnownAt,
    Offset,
    PastDep,
    Router,
    found,
    respond,
    when,
)
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep
from tuopin_registry.adapters import schemas as s
from tuopin_registry.adapters import views as v
from tuopin_registry.adapters.commanding import (
    Route,
    command_route,
    keys,
    listed,
    recorded,
    vault,
)
from tuopin_registry.application import commands, queries
from tuopin_registry.application.commands import households
from tuopin_registry.application.entries import HouseholdFiling
from tuopin_registry.application.household_file import read_file
from tuopin_registry.application.household_view import view
from tuopin_registry.domain.household import Household

router = Router(prefix="/v1")
Fact = TypeVar("Fact", bound=reg.IncomeRecordedV1)
RegionCode = Annotated[
    str | None,
    Query(pattern=r"^62[0-9]{4}([0-9]{3}([0-9]{3})?)?$", description="620000, 621100, 621121 …"),
]


@router.post(
    "/households",
    status_code=201,
    response_model=v.HouseholdView,
    tags=["households"],
    summary="File a household (建档立卡)",
)
async def register(body: HouseholdFiling, command: CommandDep) -> JSONResponse:
    runtime = command.runtime
    return await command.run(
        "register",
        body.model_dump(mode="json"),
        lambda conn, store: commands.register_household(
            conn, store, keys(runtime), vault(runtime), body
        ),
        location="/v1/households/{household_id}",
    )


@router.post(
    "/households/{household_id}/members",
    response_model=v.HouseholdView,
    tags=["households"],
    summary="Add a member",
)
async def add_member(
    household_id: UUID, body: s.NewMember, command: VersionedCommandDep
) -> JSONResponse:
    runtime = command.runtime
    return await command.run(
        "add-member",
        {"household": str(household_id), **body.model_dump(mode="json")},
        lambda conn, store: commands.add_member(
            conn,
            store,
            keys(runtime),
            vault(runtime),
            str(household_id),
            command.version(),
            body.member,
            body.effective_date,
            body.reason,
        ),
    )


def income(h: Household, body: s.Income, household_id: str, _: str) -> None:
    h.record_income(per_head(reg.IncomeRecordedV1, body, household_id, max(h.size, 1)))


def income_correction(h: Household, body: s.IncomeCorrection, household_id: str, _: str) -> None:
    """The year's figure divided by the members it was recorded for, unless the members
    themselves were the error (then the household is as it is now)."""
    recorded = h.incomes.get(body.year)
    members = recorded.members if recorded else max(h.size, 1)
    h.correct_income(per_head(reg.IncomeCorrectedV1, body, household_id, members))


def per_head(kind: type[Fact], body: s.Income, household_id: str, members: int) -> Fact:
    """人均纯收入: the total of the components over the members, in fen."""
    total = body.wages + body.production_and_business + body.property + body.transfers
    return kind(
        household_id=household_id, members=members, per_head=total // members, **body.model_dump()
    )


@router.post(
    "/households/{household_id}/members/{item_id}/changes",
    response_model=v.HouseholdView,
    tags=["households"],
    summary="A member's schooling, health, labour or insurance changed",
)
async def households_members_item_changes(
    household_id: UUID, item_id: UUID, body: s.MemberChanges, command: VersionedCommandDep
) -> JSONResponse:
    request = {"households": str(household_id), "item": str(item_id)}
    return await command.run(
        "households.members/{item_id}/changes",
        request | body.model_dump(mode="json"),
        lambda conn, store: commands.update_member(
            conn,
            store,
            vault(command.runtime),
            str(household_id),
            str(item_id),
            command.version(),
            body.model_dump(exclude={"effective_date", "reason"}),
            body.effective_date,
            body.reason,
        ),
    )


@router.post(
    "/households/{household_id}/members/{item_id}/identity-correction",
    response_model=v.HouseholdView,
    tags=["households"],
    summary="Correct a member's ID number entered wrongly, and the birth date and sex with it",
)
async def households_members_item_identity_correction(
    household_id: UUID, item_id: UUID, body: s.IdentityCorrection, command: VersionedCommandDep
) -> JSONResponse:
    runtime = command.runtime
    request = {"households": str(household_id), "item": str(item_id)}
    return await command.run(
        "households.members/{item_id}/identity-correction",
        request | body.model_dump(mode="json"),
        lambda conn, store: commands.correct_identity(
            conn,
            store,
            keys(runtime),
            vault(runtime),
            str(household_id),
            str(item_id),
            command.version(),
            body.id_number,
            body.effective_date,
            body.reason or "",
        ),
    )


ROUTES: list[Route] = [
    (
        "members/{item_id}/removal",
        s.Dated,
        "households",
        "A member leaves (death, marriage out, separate household …)",
        recorded(reg.MemberRemovedV1, Household.remove_member, "person_id"),
    ),
    (
        "causes",
        s.Causes,
        "households",
        "Record the causes (致贫原因)",
        recorded(reg.CausesRecordedV1, Household.record_causes),
    ),
    ("incomes", s.Income, "households", "Record a year's income (per head is computed)", income),
    (
        "income-corrections",
        s.IncomeCorrection,
        "households",
        "Correct a year's income (更正); the original stays in the history",
        income_correction,
    ),
    (
        "conditions",
        s.Conditions,
        "households",
        "Assess housing and drinking-water safety",
        recorded(reg.ConditionsAssessedV1, Household.assess_conditions),
    ),
    (
        "needs",
        s.Need,
        "households",
        "List a need (需求清单)",
        listed(reg.NeedListedV1, Household.list_need, "need_id"),
    ),
    (
        "measures",
        s.MeasurePlan,
        "households",
        "Plan an assistance measure (帮扶措施)",
        listed(reg.MeasurePlannedV1, Household.plan_measure, "measure_id"),
    ),
    (
        "measures/{item_id}/progress",
        s.Progress,
        "households",
        "Enter progress in the work ledger (工作台账)",
        recorded(reg.MeasureProgressedV1, Household.record_progress, "measure_id"),
    ),
    (
        "responsibility",
        s.Responsibility,
        "households",
        "Assign the responsible cadre and unit (帮扶责任人)",
        recorded(reg.ResponsibilityAssignedV1, Household.assign_responsibility),
    ),
    (
        "relocation",
        s.Relocation,
        "households",
        "Record relocation (易地搬迁)",
        recorded(reg.RelocationRecordedV1, Household.record_relocation),
    ),
    (
        "cooperative",
        s.Cooperative,
        "households",
        "Record joining a cooperative",
        recorded(reg.CooperativeJoinedV1, Household.join_cooperative),
    ),
    (
        "assistance",
        s.Dated,
        "lifecycle",
        "Start (or resume) assistance",
        lambda h, b, _, __: h.start_assistance(b.effective_date, b.reason),
    ),
    (
        "exit-proposal",
        s.ExitProposal,
        "lifecycle",
        "Propose exit after the village's democratic appraisal (民主评议)",
        lambda h, b, _, __: h.propose_exit(b.appraisal_date, b.reason),
    ),
    (
        "exit-notice",
        s.ExitNotice,
        "lifecycle",
        "Put the proposed exit on public notice (公示); evaluation then verifies",
        lambda h, b, _, __: h.publicise_exit(b.notice_from, b.notice_until, b.reason),
    ),
    (
        "return-to-poverty",
        s.Return,
        "lifecycle",
        "An exited household returned to poverty (返贫)",
        lambda h, b, _, __: h.return_to_poverty(b.cause, b.effective_date, b.reason),
    ),
    (
        "exit-annulment",
        s.Correction,
        "lifecycle",
        "Annul an exit recorded by mistake (更正): assisted again from the exit's date",
        lambda h, b, _, __: h.annul_exit(b.reason),
    ),
    (
        "removal",
        s.Removal,
        "lifecycle",
        "Remove a wrongly identified household (清退)",
        lambda h, b, _, __: h.remove(b.effective_date, b.reason),
    ),
]


async def _change_household(
    conn: AsyncConnection,
    runtime: Runtime,
    household_id: str,
    expected: int | None,
    decide: Callable[[Household], None],
) -> Outcome:
    return await commands.change_household(
        conn, runtime.store, household_id, expected, decide, vault=vault(runtime)
    )


for _route in ROUTES:
    owner = ("household_id", UUID)
    command_route(router, "households", owner, _change_household, _route, v.HouseholdView)


@router.get(
    "/households",
    response_model=v.Households,
    tags=["households"],
    summary="List and filter households",
)
async def list_households(
    runtime: RuntimeDep,
    region: RegionCode = None,
    status: HouseholdStatus | None = None,
    cause: PovertyCause | None = None,
    attribute: PovertyAttribute | None = None,
    cadre: Annotated[Text | None, Query(max_length=50)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    where = queries.HouseholdFilter(region, status, cause, attribute, cadre)
    async with runtime.reader.connect() as conn:
        total, items = await queries.list_households(conn, where, limit, offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get(
    "/households/{household_id}",
    response_model=v.HouseholdFile,
    tags=["households"],
    summary="A household's file, now or as of a business date, as known at an instant",
)
async def read(
    household_id: UUID, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> JSONResponse:
    file = found()  # read with the scope; else not in the index (an unscoped caller's)
    if file is None:
        async with runtime.reader.connect() as conn:
            file = await read_file(conn, str(household_id))
    household = file and file.household(households(runtime.store), known_at, as_of)
    if file is None or household is None:
        raise NotFound(f"no household {household_id}" + when(as_of, known_at))
    answer = view(household, file.keys(vault(runtime), household.members))
    answer |= {"as_of": as_of, "known_at": known_at}
    return respond(Outcome(answer))


@router.get(
    "/households/{household_id}/history",
    response_model=History,
    tags=["households"],
    summary="Every event of a household with actor, reason and time",
)
async def household_history(household_id: UUID, past: PastDep) -> History:
    return await past.of(str(household_id), "household")
