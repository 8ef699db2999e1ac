"""The loan book (贷款台账): loans, principal movements, funds, claims, quotas and subsidy
statements as loans' own events say they are. An inline projection — written in the same
transaction as the events, rebuilt from them on demand — so the settlement computed from
it after a rebuild is the settlement computed live.

Beside each loan's current row, its row as it stood after every posting, with the
posting's business date and recording instant: the portfolio as of a business day, as
known at an instant, is read from there. Claims and statements keep their recording
instants for the same reason.
"""

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Integer,
    bindparam,
    case,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.dates import school_year_of
from tuopin_contracts.events import loans as lo
from tuopin_contracts.vocabulary import LoanProduct
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.security.identity import mask_id
from tuopin_eventkit.store.projection import Delivered, Projection, update_each
from tuopin_loans.application.book_tables import (
    SNAPSHOT,
    claims,
    funds,
    history,
    loans,
    movements,
    quotas,
    statements,
)
from tuopin_loans.domain.fund import fund_county
from tuopin_loans.domain.loan import LoanState

book = Projection(
    "loans.loan_book", tables=[loans, history, movements, funds, claims, quotas, statements]
)
L = loans.c
Handler = Callable[[AsyncConnection, Sequence[Delivered]], Any]


def _snapshotted(handler: Handler) -> Handler:
    """Run a loan posting's handler, then keep each loan's row as it now stands; a run that
    posts twice to one loan is applied in parts, so each posting gets its own row."""

    @wraps(handler)
    async def run(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
        part: list[Delivered] = []
        for e in events:
            if any(p.data.loan_id == e.data.loan_id for p in part):
                await _apply(conn, handler, part)
                part = []
            part.append(e)
        if part:
            await _apply(conn, handler, part)

    return run


async def _apply(conn: AsyncConnection, handler: Handler, events: Sequence[Delivered]) -> None:
    await handler(conn, events)
    row = select(
        L.loan_id,
        bindparam("sequence", type_=Integer),
        bindparam("on", type_=Date),
        bindparam("recorded_at", type_=DateTime(timezone=True)),
        *(L[c] for c in SNAPSHOT),
    ).where(L.loan_id == bindparam("loan"))
    await conn.execute(
        insert(history).from_select([c.name for c in history.columns], row),
        [
            {
                "loan": str(e.data.loan_id),
                "sequence": e.envelope.sequence,
                "on": e.data.business_date(),
                "recorded_at": e.envelope.time,
            }
            for e in events
        ],
    )


async def _update(
    conn: AsyncConnection,
    events: Sequence[Delivered],
    set_: Mapping[str, Callable[[Any], Any]],
    add: Mapping[str, Callable[[Any], int]] | None = None,
) -> None:
    """Each event's loan: columns set, amounts added — one statement run for the whole
    batch (executemany, in event order), not a round trip per event."""
    add = add or {}
    values: dict[str, ColumnElement[Any]] = {col: bindparam(f"new_{col}") for col in set_}
    values |= {col: L[col] + bindparam(f"add_{col}") for col in add}
    params = [
        {
            "loan": str(e.data.loan_id),
            **{f"new_{col}": value(e.data) for col, value in set_.items()},
            **{f"add_{col}": value(e.data) for col, value in add.items()},
        }
        for e in events
    ]
    await conn.execute(update(loans).where(L.loan_id == bindparam("loan")).values(values), params)


def _school_year(approval: lo.LoanApprovedV1) -> int | None:
    """A student loan's school year; for an approval recorded before loans named it, the
    one its decision date falls in (how the cap was counted then)."""
    if approval.product != LoanProduct.STUDENT:
        return None
    return approval.academic_year or school_year_of(approval.decided_on)


@book.on(lo.LoanApprovedV1)
@book.on(lo.LoanRejectedV1)
@_snapshotted
async def decided(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = []
    for e in events:
        d = e.data
        approved = isinstance(d, lo.LoanApprovedV1)
        rows.append(
            {
                "loan_id": str(d.loan_id),
                "bank_id": d.bank_id,
                "loan_ref": d.loan_ref,
                "household_id": str(d.household_id),
                "county_code": d.county_code,
                "product": d.product,
                "decided_on": d.decided_on,
                "state": LoanState.APPROVED if approved else LoanState.REJECTED,
                # As masked today: events recorded before keep the region digits (SECURITY.md).
                "borrower_masked": mask_id(d.borrower_masked) if approved else None,
                "borrower_hash": d.borrower_hash if approved else None,
                "amount": d.amount if approved else 0,
                "term_months": d.term_months if approved else 0,
                "academic_year": _school_year(d) if approved else None,
                "disbursed": 0,
                "outstanding": 0,
                "interest_received": 0,
                "days_past_due": 0,
                "written_off": 0,
                "premium_subsidy": 0,
            }
        )
    await upsert(conn, loans, rows, keys=["loan_id"])


@book.on(lo.ContractSignedV1)
@_snapshotted
async def signed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _update(
        conn,
        events,
        {
            "state": lambda d: LoanState.SIGNED,
            "amount": lambda d: d.amount,
            "term_months": lambda d: d.term_months,
            "annual_rate": lambda d: str(d.annual_rate),
            "signed_on": lambda d: d.signed_on,
            "maturity_date": lambda d: d.maturity_date,
            "subsidy_until": lambda d: d.subsidy_until,
        },
    )


async def _moved(conn: AsyncConnection, events: Sequence[Delivered], on: str, sign: int) -> None:
    """Principal out (+) or back (−): the steps the subsidy accrues over."""
    amount = "amount" if sign > 0 else "principal"
    rows = [
        {
            "loan_id": str(e.data.loan_id),
            "sequence": e.envelope.sequence,
            "on": getattr(e.data, on),
            "delta": sign * getattr(e.data, amount),
        }
        for e in events
        if getattr(e.data, amount)
    ]
    if rows:
        await upsert(conn, movements, rows, keys=["loan_id", "sequence"])


@book.on(lo.LoanDisbursedV1)
@_snapshotted
async def disbursed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _moved(conn, events, "disbursed_on", +1)
    await _update(
        conn,
        events,
        {"state": lambda d: LoanState.ACTIVE, "outstanding": lambda d: d.outstanding},
        add={"disbursed": lambda d: d.amount},
    )


@book.on(lo.RepaymentReceivedV1)
@_snapshotted
async def repaid(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _moved(conn, events, "received_on", -1)
    # An active loan repaid to zero is closed (结清); a recovery leaves a default as it is.
    closes = (L.state == LoanState.ACTIVE) & (bindparam("new_outstanding") == 0)
    await conn.execute(
        update(loans)
        .where(L.loan_id == bindparam("loan"))
        .values(
            outstanding=bindparam("new_outstanding"),
            interest_received=L.interest_received + bindparam("add_interest"),
            state=case((closes, LoanState.REPAID), else_=L.state),
            days_past_due=case((closes, 0), else_=L.days_past_due),
        ),
        [
            {
                "loan": str(e.data.loan_id),
                "new_outstanding": e.data.outstanding,
                "add_interest": e.data.interest,
            }
            for e in events
        ],
    )


@book.on(lo.LoanOverdueV1)
@_snapshotted
async def overdue(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _update(conn, events, {"days_past_due": lambda d: d.days_past_due})


@book.on(lo.LoanDefaultedV1)
@_snapshotted
async def defaulted(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _update(
        conn,
        events,
        {"state": lambda d: LoanState.DEFAULTED, "defaulted_on": lambda d: d.defaulted_on},
    )


@book.on(lo.LoanWrittenOffV1)
@_snapshotted
async def written_off(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _update(
        conn, events, {"state": lambda d: LoanState.WRITTEN_OFF, "written_off": lambda d: d.amount}
    )


@book.on(lo.PremiumSubsidisedV1)
@_snapshotted
async def premium(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await _update(conn, events, {}, add={"premium_subsidy": lambda d: d.subsidy})


async def _fund(conn: AsyncConnection, fund_id: str, **deltas: int) -> None:
    zero = {"balance": 0, "contributed": 0, "claimed": 0, "paid": 0, "returned": 0}
    await upsert(conn, funds, {"fund_id": fund_id, **zero}, keys=["fund_id"])
    f = funds.c
    await conn.execute(
        update(funds).where(f.fund_id == fund_id).values(**{k: f[k] + v for k, v in deltas.items()})
    )


@book.on(lo.FundContributionReceivedV1)
async def contributed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        await _fund(conn, e.data.fund_id, balance=e.data.amount, contributed=e.data.amount)


@book.on(lo.CompensationClaimLodgedV1)
async def lodged(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        d = e.data
        await _fund(conn, d.fund_id, claimed=d.claimed)
        row = {
            "claim_id": str(d.claim_id),
            "fund_id": d.fund_id,
            "county_code": fund_county(d.fund_id),
            "loan_id": str(d.loan_id),
            "bank_id": d.bank_id,
            "product": d.product,
            "claimed": d.claimed,
            "lodged_on": d.lodged_on,
            "lodged_at": e.envelope.time,
        }
        await upsert(conn, claims, row, keys=["claim_id"])


@book.on(lo.CompensationPaidV1)
async def paid(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        await _fund(conn, e.data.fund_id, balance=-e.data.amount, paid=e.data.amount)
    await update_each(conn, claims, events, lambda d, time: {"paid_on": d.paid_on, "paid_at": time})


@book.on(lo.RecoveryReturnedV1)
async def returned(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        await _fund(conn, e.data.fund_id, balance=e.data.amount, returned=e.data.amount)


@book.on(lo.QuotaAllocatedV1)
async def allocated(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [{"county_code": e.data.county_code, "amount": e.data.amount} for e in events]
    await upsert(conn, quotas, rows, keys=["county_code"], update=["amount"])


@book.on(lo.SubsidyStatementIssuedV1)
async def issued(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    rows = [
        {
            "statement_id": str(d.statement_id),
            "quarter": d.quarter,
            "bank_id": d.bank_id,
            "county_code": d.county_code,
            "loans": d.loans,
            "amount": d.amount,
            "issued_on": d.issued_on,
            "issued_at": e.envelope.time,
        }
        for e, d in ((e, e.data) for e in events)
    ]
    await upsert(conn, statements, rows, keys=["statement_id"])


@book.on(lo.SubsidyStatementPaidV1)
async def statement_paid(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    await update_each(
        conn, statements, events, lambda d, time: {"paid_on": d.paid_on, "paid_at": time}
    )


async def bank_loans(
    conn: AsyncConnection,
    bank_id: str,
    state: str | None,
    county_code: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """A bank's loans, of a state or county if named, in the order it decided them."""
    # Not the borrower's keyed hash: it links one person's loans, the service's own key.
    shown = [c for c in loans.c if c.name != "borrower_hash"]
    query = select(*shown).where(L.bank_id == bank_id)
    if state is not None:
        query = query.where(L.state == state)
    if county_code is not None:
        query = query.where(L.county_code == county_code)
    query = query.order_by(L.decided_on, L.loan_ref).limit(limit).offset(offset)
    return [dict(r._mapping) for r in await conn.execute(query)]
