"""The REST API of village mutual-aid funds (村级互助资金): village offices post
contributions, loans to member households and repayments; counties and the province read
each fund and every village's size against the 500,000-yuan target."""

from typing import Any
from uuid import UUID

from fastapi.responses import JSONResponse, Response
from pydantic import Field

from tuopin_contracts.bounds import BusinessDate, PositiveFen
from tuopin_contracts.dates import today
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import (
    CSV_DOWNLOAD,
    AsOf,
    History,
    KnownAt,
    PastDep,
    Router,
    csv_records,
    when,
)
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_loans.adapters import views as v
from tuopin_loans.adapters.http import Body
from tuopin_loans.adapters.postings import Months
from tuopin_loans.application import mutual_aid, mutual_aid_book
from tuopin_loans.domain.mutual_aid import Source, fund_id

router = Router(prefix="/v1", tags=["mutual-aid funds"])


class Contribution(Body):
    source: Source
    amount: PositiveFen
    received_on: BusinessDate


class MemberLoan(Body):
    household_id: UUID = Field(description="A registered household of this village")
    amount: PositiveFen
    term_months: Months
    lent_on: BusinessDate


class Repayment(Body):
    """Principal returned; the occupancy fee (占用费) on it is computed and recorded."""

    principal: PositiveFen
    received_on: BusinessDate


@router.post(
    "/villages/{village_code}/mutual-aid/contributions",
    status_code=201,
    response_model=v.MutualAidBalance,
    summary="Money into the village's mutual-aid fund (the first contribution opens it)",
)
async def contribute(
    village_code: VillageCode, body: Contribution, command: CommandDep
) -> JSONResponse:
    return await command.run(
        "mutual-aid.contribution",
        {"village": village_code, **body.model_dump(mode="json")},
        lambda conn, store: mutual_aid.contribute(
            conn, store, village_code, body.source, body.amount, body.received_on
        ),
    )


@router.post(
    "/villages/{village_code}/mutual-aid/loans",
    status_code=201,
    response_model=v.MutualAidLending,
    summary="Lend to a member household (within the household cap and the fund's balance)",
)
async def lend(village_code: VillageCode, body: MemberLoan, command: CommandDep) -> JSONResponse:
    household_id = str(body.household_id)
    return await command.run(
        "mutual-aid.loan",
        {"village": village_code, **body.model_dump(mode="json")},
        lambda conn, store: mutual_aid.lend(
            conn, store, village_code, household_id, body.amount, body.term_months, body.lent_on
        ),
    )


@router.post(
    "/villages/{village_code}/mutual-aid/loans/{loan_id}/repayments",
    status_code=201,
    response_model=v.MutualAidRepayment,
    summary="A member household repays principal, with its occupancy fee (占用费)",
)
async def repay(
    village_code: VillageCode, loan_id: UUID, body: Repayment, command: CommandDep
) -> JSONResponse:
    return await command.run(
        "mutual-aid.repayment",
        {"village": village_code, "loan": str(loan_id), **body.model_dump(mode="json")},
        lambda conn, store: mutual_aid.repay(
            conn, store, village_code, str(loan_id), body.principal, body.received_on
        ),
    )


@router.get(
    "/villages/{village_code}/mutual-aid",
    response_model=v.MutualAidFund,
    summary="The fund: balance, size by source, lent and outstanding, households served, "
    "overdue on a day, the target and whether it is met",
)
async def standing(
    village_code: VillageCode, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        found = await mutual_aid.standing(
            conn, runtime.store, village_code, as_of or today(), known_at
        )
    if found is None:
        raise NotFound(f"village {village_code} has no mutual-aid fund" + when(as_of, known_at))
    return found


@router.get(
    "/villages/{village_code}/mutual-aid/loans",
    response_model=list[v.MutualAidLoan],
    summary="The fund's loans (借款台账)",
)
async def member_loans(village_code: VillageCode, runtime: RuntimeDep) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await mutual_aid_book.member_loans(conn, village_code)


@router.get(
    "/villages/{village_code}/mutual-aid/history",
    response_model=History,
    summary="Every yuan in and out of the fund, as events",
)
async def fund_history(village_code: VillageCode, past: PastDep) -> History:
    return await past.of(fund_id(village_code), "mutual-aid fund")


@router.get(
    "/mutual-aid",
    response_model=v.MutualAidFunds,
    summary="Village funds of a county (or the province) against the 500,000-yuan target",
)
async def villages(runtime: RuntimeDep, county_code: CountyCode | None = None) -> dict[str, Any]:
    rule = mutual_aid.rule(today())
    async with runtime.reader.connect() as conn:
        rows = await mutual_aid_book.villages(conn, county_code, rule)
    return {
        "county_code": county_code,
        "target": rule.target,
        "funds": len(rows),
        "meeting_target": sum(r["target_met"] for r in rows),
        "capital": sum(r["capital"] for r in rows),
        "villages": rows,
    }


@router.get("/mutual-aid.csv", **CSV_DOWNLOAD, summary="The same villages, as CSV")
async def villages_csv(runtime: RuntimeDep, county_code: CountyCode | None = None) -> Response:
    rows = (await villages(runtime, county_code))["villages"]
    return csv_records(rows, f"mutual-aid-{county_code or 'province'}.csv", ["village_code"])
