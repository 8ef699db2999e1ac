"""The loans service's REST API for offices, banks and leadership (bank postings are in
``postings``): loans, eligibility, the programme's quotas, the risk funds, the interest
subsidy's quarterly statements and the portfolio reports."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from tuopin_contracts.bounds import BusinessDate, Fen, PositiveFen, Text
from tuopin_contracts.dates import today
from tuopin_contracts.regions import CountyCode
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit.db import read_only
from tuopin_eventkit.web.commands import CommandDep
from tuopin_eventkit.web.http import (
    CSV_DOWNLOAD,
    AsOf,
    History,
    KnownAt,
    Offset,
    PastDep,
    Router,
    csv_records,
)
from tuopin_eventkit.web.runtime import RuntimeDep
from tuopin_loans.adapters import views as v
from tuopin_loans.adapters.postings import BankId, LoanRef
from tuopin_loans.application import borrower_households as registry
from tuopin_loans.application import exposure, lending, loan_book, programme, reports, settlement
from tuopin_loans.application.reference import programme as rules_data
from tuopin_loans.application.repositories import funds
from tuopin_loans.domain import rules

router = Router(prefix="/v1")

# Years of this century and the last: a quarter of year 0 or 9999 is no calendar quarter.
Quarter = Annotated[str, Path(pattern=r"^(19|20)\d{2}Q[1-4]$", examples=["2016Q3"])]
FundId = Annotated[str, Path(pattern=r"^(county-\d{6}|province)$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- loans --------------------------------------------------------------------------------


@router.get(
    "/banks/{bank_id}/loans",
    tags=["loans"],
    response_model=list[v.BookedLoan],
    summary="A bank's loans (its own only)",
)
async def bank_loans(
    bank_id: BankId,
    runtime: RuntimeDep,
    state: Annotated[Text, Query(max_length=20)] | None = None,
    county_code: CountyCode | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await loan_book.bank_loans(conn, bank_id, state, county_code, limit, offset)


@router.get(
    "/banks/{bank_id}/loans/{loan_ref}",
    tags=["loans"],
    response_model=v.Loan,
    summary="One of a bank's loans",
)
async def bank_loan(bank_id: BankId, loan_ref: LoanRef, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return lending.view(await lending.bank_loan(conn, runtime.store, bank_id, loan_ref))


@router.get(
    "/banks/{bank_id}/loans/{loan_ref}/history",
    tags=["loans"],
    response_model=History,
    summary="Every posting of a loan, as events (who, what, when)",
)
async def loan_history(bank_id: BankId, loan_ref: LoanRef, past: PastDep) -> History:
    return await past.of(lending.loan_id(bank_id, loan_ref), "loan")


@router.get(
    "/borrowers/{household_id}/eligibility",
    tags=["loans"],
    response_model=v.Eligibility,
    summary="Where a household stands for a product on a business day: status, what it owes, "
    "the limit",
)
async def eligibility(
    household_id: UUID,
    runtime: RuntimeDep,
    product: LoanProduct = LoanProduct.MICROCREDIT,
    as_of: AsOf = None,
    known_at: KnownAt = None,
) -> dict[str, Any]:
    day = as_of or today()
    rule = rules.product_rule(rules_data().products, product, day)
    the_id = str(household_id)
    async with runtime.reader.connect() as conn:
        standing = await registry.standing(conn, the_id, day, known_at)
        relocating = await registry.relocating_on(conn, the_id, day, known_at)
        owed = await exposure.household_outstanding(conn, the_id, product)
    facts = rules.Borrower(
        standing.status, standing.since, standing.identified_on, relocating, day, None, owed
    )
    failed = [
        f
        for f in rules.ineligibility(rule, facts, 0, 1, day)
        if not f.startswith(("borrower_", "student_"))  # those depend on the borrower
    ]
    return {
        "household_id": household_id,
        "product": product,
        "as_of": day,
        "known_at": known_at,
        "status": standing.status,
        "status_since": standing.since,
        "outstanding": owed,
        "limit": rule.max_amount,
        "available": max(rule.max_amount - owed, 0) if not rule.student else rule.max_amount,
        "eligible": not failed,
        "reasons": failed,
    }


# --- programme quotas ---------------------------------------------------------------------


class Quota(Body):
    amount: Fen
    allocated_on: BusinessDate


@router.put(
    "/programme/quotas/{county_code}",
    response_model=v.QuotaStanding,
    tags=["programme"],
    summary="Set a county's microcredit quota (within the 40-billion-yuan ceiling)",
)
async def allocate(county_code: CountyCode, body: Quota, command: CommandDep) -> JSONResponse:
    return await command.run(
        "quota",
        {"county": county_code, **body.model_dump(mode="json")},
        lambda conn, store: programme.allocate(
            conn, store, county_code, body.amount, body.allocated_on
        ),
    )


@router.get(
    "/programme/quotas/{county_code}",
    tags=["programme"],
    response_model=v.QuotaStanding,
    summary="Quota and use",
)
async def quota(county_code: CountyCode, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return await programme.standing(conn, county_code)


# --- risk compensation funds --------------------------------------------------------------


class Contribution(Body):
    contributor: str = Field(pattern=r"^(finance|bank:[\w-]{1,40})$", examples=["finance"])
    amount: PositiveFen
    received_on: BusinessDate


@router.post(
    "/funds/{fund_id}/contributions",
    status_code=201,
    response_model=v.Fund,
    tags=["funds"],
    summary="Money into a risk compensation fund (风险补偿基金) from finance or a bank",
)
async def contribute(fund_id: FundId, body: Contribution, command: CommandDep) -> JSONResponse:
    return await command.run(
        "contribution",
        {"fund": fund_id, **body.model_dump(mode="json")},
        lambda conn, store: lending.contribute(
            conn, store, fund_id, body.contributor, body.amount, body.received_on
        ),
    )


@router.get(
    "/funds",
    tags=["funds"],
    response_model=list[v.FundAccount],
    summary="Every fund's balance and totals, or one county's fund's",
)
async def fund_list(
    runtime: RuntimeDep, county_code: CountyCode | None = None
) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await reports.fund_accounts(conn, county_code)


@router.get(
    "/funds/{fund_id}",
    tags=["funds"],
    response_model=v.Fund,
    summary="A fund with its waiting claims",
)
async def fund(fund_id: FundId, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.reader.connect() as conn:
        return lending.fund_view(await funds(runtime.store).existing(conn, fund_id))


@router.get(
    "/funds/{fund_id}/history",
    tags=["funds"],
    response_model=History,
    summary="Every yuan in and out of a fund, as events",
)
async def fund_history(fund_id: FundId, past: PastDep) -> History:
    return await past.of(fund_id, "fund")


# --- interest subsidy ---------------------------------------------------------------------


class Issue(Body):
    issued_on: BusinessDate


class Payment(Body):
    paid_on: BusinessDate


@router.get(
    "/subsidy/{quarter}/preview",
    tags=["subsidy"],
    response_model=list[v.SubsidyLine],
    summary="The quarter's subsidy per bank and county (or one county's), computed now "
    "(not issued)",
)
async def preview(
    quarter: Quarter, runtime: RuntimeDep, county_code: CountyCode | None = None
) -> list[dict[str, Any]]:
    async with read_only(runtime.engine, cursor=True).connect() as conn:  # it streams
        return [line.__dict__ for line in await settlement.compute(conn, quarter, county_code)]


@router.post(
    "/subsidy/{quarter}/statements",
    status_code=201,
    response_model=v.StatementsIssued,
    tags=["subsidy"],
    summary="Issue the quarter's settlement statements (贴息结算单), once",
)
async def issue(quarter: Quarter, body: Issue, command: CommandDep) -> JSONResponse:
    return await command.run(
        "statements",
        {"quarter": quarter, **body.model_dump(mode="json")},
        lambda conn, store: settlement.issue(conn, store, quarter, body.issued_on),
    )


@router.get(
    "/subsidy/{quarter}/statements",
    tags=["subsidy"],
    response_model=list[v.Statement],
    summary="Issued statements",
)
async def issued(
    quarter: Quarter,
    runtime: RuntimeDep,
    bank_id: BankId | None = None,
    county_code: CountyCode | None = None,
) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await settlement.issued(conn, quarter, bank_id, county_code)


@router.post(
    "/subsidy/statements/{statement_id}/payment",
    response_model=v.StatementPaid,
    tags=["subsidy"],
    summary="The treasury paid a statement",
)
async def pay(statement_id: UUID, body: Payment, command: CommandDep) -> JSONResponse:
    return await command.run(
        "payment",
        {"statement": str(statement_id), **body.model_dump(mode="json")},
        lambda conn, store: settlement.pay(conn, store, str(statement_id), body.paid_on),
    )


# --- reports ------------------------------------------------------------------------------


class PortfolioQuery(BaseModel):
    """What a portfolio report asks, as JSON or as CSV."""

    group: reports.GroupBy = reports.GroupBy.COUNTY
    bank_id: BankId | None = None
    as_of: AsOf = None
    known_at: KnownAt = None
    county_code: CountyCode | None = None


@router.get(
    "/reports/portfolio",
    tags=["reports"],
    response_model=list[v.PortfolioRow],
    response_model_exclude_unset=True,  # the grouping's own key only
    summary="Portfolio by bank, county or product, of the province or one county; as of a "
    "business day, as known at an instant",
)
async def portfolio(
    runtime: RuntimeDep, q: Annotated[PortfolioQuery, Query()]
) -> list[dict[str, Any]]:
    async with runtime.reader.connect() as conn:
        return await reports.portfolio(conn, q.group, q.bank_id, q.as_of, q.known_at, q.county_code)


@router.get("/reports/portfolio.csv", **CSV_DOWNLOAD, tags=["reports"], summary="The same, as CSV")
async def portfolio_csv(runtime: RuntimeDep, q: Annotated[PortfolioQuery, Query()]) -> Response:
    rows = await portfolio(runtime, q)
    return csv_records(rows, f"portfolio-by-{q.group.value}.csv", [q.group.value])
