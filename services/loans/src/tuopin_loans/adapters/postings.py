"""What banks post (银行报送): one body per lifecycle step, sent to ``POST /v1/bank-postings``
with the bank's own transaction id as ``Idempotency-Key``, or to the inbound topic
``tuopin.loans.bank-postings`` with the same body and the key as a header. Both run
``post``, so a posting sent both ways counts once.

Every posting names its bank; a bank names its loans by its own loan number, and reaches
only its own (authentication will bind ``bank_id`` to the caller's token).
"""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.bounds import BusinessDate, Fen, PositiveFen, Text
from tuopin_contracts.text import FreeText
from tuopin_contracts.topics import Inbound
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit.security.identity import IdentityKeys
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.web.http import IdempotencyKey, Router, respond
from tuopin_eventkit.web.inbound import Intake
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep
from tuopin_loans.adapters.access import ACCESS
from tuopin_loans.adapters.views import Fund, Loan
from tuopin_loans.application import lending

BankId = Annotated[Text, Field(min_length=1, max_length=40, examples=["gansu-rcc"])]
LoanRef = Annotated[Text, Field(min_length=1, max_length=60, description="The bank's loan number")]
Months = Annotated[int, Field(ge=1, le=240, description="A term in months, at most 20 years")]


class Posting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_id: BankId
    loan_ref: LoanRef


class Approved(Posting):
    """贷款审批通过: the bank approves an application (eligibility is checked here)."""

    kind: Literal["approved"]
    product: LoanProduct
    household_id: UUID
    borrower_id_number: Annotated[Text, Field(min_length=15, max_length=18)] = Field(
        description="Resident ID; hashed at once, never stored"
    )
    amount: PositiveFen
    term_months: Months
    decided_on: BusinessDate
    academic_year: int | None = Field(
        default=None,
        ge=1900,
        le=2100,
        description="Student loans only, and required for them: the school year (学年) the "
        "loan pays for, by the year it starts (2016 = 2016–17)",
        examples=[2016],
    )


class Rejected(Posting):
    kind: Literal["rejected"]
    product: LoanProduct
    household_id: UUID
    reason: Annotated[FreeText, Field(min_length=1, max_length=500)]
    decided_on: BusinessDate


class Signed(Posting):
    """合同签订: amount and term; the rate is the benchmark in force that day."""

    kind: Literal["signed"]
    amount: PositiveFen
    term_months: Months
    signed_on: BusinessDate


class Disbursed(Posting):
    kind: Literal["disbursed"]
    amount: PositiveFen
    disbursed_on: BusinessDate


class Repaid(Posting):
    """A repayment split into principal and interest; on a defaulted loan, a recovery."""

    kind: Literal["repaid"]
    principal: Fen
    interest: Fen
    received_on: BusinessDate


class Overdue(Posting):
    kind: Literal["overdue"]
    days_past_due: int = Field(ge=0, le=36500, description="0: current again")
    as_of: BusinessDate


class Defaulted(Posting):
    kind: Literal["defaulted"]
    defaulted_on: BusinessDate


class WrittenOff(Posting):
    kind: Literal["written_off"]
    written_off_on: BusinessDate


class Claim(Posting):
    """The bank claims compensation from the county's risk fund for a defaulted loan."""

    kind: Literal["claim"]
    lodged_on: BusinessDate


class Premium(Posting):
    """A guarantee- or accident-insurance premium paid for the loan, and its subsidy."""

    kind: Literal["premium"]
    insurance: Literal["guarantee", "accident"]
    premium: PositiveFen
    subsidy: Fen
    paid_on: BusinessDate


BankPosting = Annotated[
    Approved
    | Rejected
    | Signed
    | Disbursed
    | Repaid
    | Overdue
    | Defaulted
    | WrittenOff
    | Claim
    | Premium,
    Field(discriminator="kind"),
]


async def _decide(conn: AsyncConnection, runtime: Runtime, p: Any) -> Outcome:
    store, bank, ref = runtime.store, p.bank_id, p.loan_ref
    match p:
        case Approved():
            keys = IdentityKeys(runtime.settings.identity_key.get_secret_value())
            application = lending.Application(
                bank,
                ref,
                p.product,
                str(p.household_id),
                p.borrower_id_number,
                p.amount,
                p.term_months,
                p.decided_on,
                p.academic_year,
            )
            return await lending.approve(conn, store, keys, application)
        case Rejected():
            return await lending.reject(
                conn, store, bank, ref, p.product, str(p.household_id), p.reason, p.decided_on
            )
        case Signed():
            decide = lending.sign(p.signed_on, p.amount, p.term_months)
            return await lending.change(conn, store, bank, ref, decide)
        case Disbursed():
            return await lending.change(
                conn, store, bank, ref, lambda loan: loan.disburse(p.amount, p.disbursed_on)
            )
        case Repaid():
            return await lending.repay(
                conn, store, bank, ref, p.principal, p.interest, p.received_on
            )
        case Overdue():
            return await lending.change(
                conn, store, bank, ref, lambda loan: loan.report_overdue(p.days_past_due, p.as_of)
            )
        case Defaulted():
            return await lending.change(
                conn, store, bank, ref, lambda loan: loan.default(p.defaulted_on)
            )
        case WrittenOff():
            return await lending.change(
                conn, store, bank, ref, lambda loan: loan.write_off(p.written_off_on)
            )
        case Claim():
            return await lending.claim(conn, store, bank, ref, p.lodged_on)
        case Premium():
            return await lending.change(
                conn,
                store,
                bank,
                ref,
                lambda loan: loan.subsidise_premium(p.insurance, p.premium, p.subsidy, p.paid_on),
            )
    raise TypeError(f"no command for {type(p).__name__}")


async def post(runtime: Runtime, posting: Any, key: str | None) -> Outcome:
    """Run one posting at most once per bank and transaction id."""

    async def command(conn: AsyncConnection) -> Outcome:
        return await _decide(conn, runtime, posting)

    scope = f"bank-postings.{posting.bank_id}"
    return await runtime.execute(scope, key, posting.model_dump(mode="json"), command)


intake = Intake(
    topic=Inbound.BANK_POSTINGS,
    body=BankPosting,
    handle=post,
    rule=ACCESS["POST /v1/bank-postings"],
)

router = Router(prefix="/v1", tags=["bank postings"])


@router.post(
    "/bank-postings",
    status_code=201,
    response_model=Loan | Fund,
    responses={200: {"model": Loan, "description": "A step of a loan already booked"}},
    summary="A bank posts a loan's lifecycle step (approval … recovery) or a claim",
)
async def bank_posting(
    posting: BankPosting, runtime: RuntimeDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    if idempotency_key is None:
        raise HTTPException(
            400, "a bank posting carries the bank's transaction id as Idempotency-Key"
        )
    return respond(await post(runtime, posting, idempotency_key))
