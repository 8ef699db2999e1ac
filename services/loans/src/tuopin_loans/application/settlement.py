"""Quarterly settlement of the interest subsidy (贴息结算): what the treasury owes each
bank for each county's loans, computed from the loan book, issued as events, paid."""

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid5

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events.loans import SubsidyStatementIssuedV1, SubsidyStatementPaidV1
from tuopin_eventkit.store.aggregate import Conflict, NotFound, RuleViolation
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.store import ConcurrencyConflict, EventStore, NewEvent
from tuopin_loans.application.book_tables import loans, movements, statements
from tuopin_loans.application.lending import LOANS
from tuopin_loans.domain.subsidy import Movement, Subsidised, accrued, quarter_bounds, to_fen

STREAM_TYPE = "subsidy"


@dataclass(frozen=True)
class Line:
    """One statement: a bank, a county, a quarter."""

    bank_id: str
    county_code: str
    loans: int
    amount: int  # fen


def _subsidised(rows: list[Any]) -> Subsidised:
    first = rows[0]
    moves = tuple(Movement(r.on, r.delta) for r in rows if r.on is not None)
    return Subsidised(Decimal(first.annual_rate), moves, first.subsidy_until, first.defaulted_on)


async def _loans_in(
    conn: AsyncConnection, start: date, county_code: str | None
) -> AsyncIterator[tuple[Any, Subsidised]]:
    """Every loan subsidised on or after ``start`` (in one county, when named): its row and
    what its accrual needs, streamed loan by loan (a province's 800,000 loans never sit in
    memory at once)."""
    L, M = loans.c, movements.c
    query = (
        select(
            L.loan_id,
            L.bank_id,
            L.county_code,
            L.annual_rate,
            L.subsidy_until,
            L.defaulted_on,
            M.on,
            M.delta,
        )
        .join(movements, M.loan_id == L.loan_id)
        .where(L.subsidy_until >= start)
        .order_by(L.loan_id, M.sequence)
        .execution_options(yield_per=10_000)
    )
    if county_code is not None:
        query = query.where(L.county_code == county_code)
    loan: list[Any] = []
    async for rows in (await conn.stream(query)).partitions():
        for row in rows:
            if loan and row.loan_id != loan[0].loan_id:
                yield loan[0], _subsidised(loan)
                loan = []
            loan.append(row)
    if loan:
        yield loan[0], _subsidised(loan)


async def compute(
    conn: AsyncConnection, quarter: str, county_code: str | None = None
) -> list[Line]:
    """The quarter's statements, per bank and county (one county's, when named), from the
    loan book as it stands."""
    start, end = quarter_bounds(quarter)
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    async for row, loan in _loans_in(conn, start, county_code):
        fen = to_fen(accrued(loan, start, end))
        if fen:
            line = totals[(row.bank_id, row.county_code)]
            line[0] += 1
            line[1] += fen
    return [Line(b, c, n, fen) for (b, c), (n, fen) in sorted(totals.items())]


def statement_id(quarter: str, bank_id: str, county_code: str) -> str:
    return str(uuid5(LOANS, f"subsidy/{quarter}/{bank_id}/{county_code}"))


async def issue(conn: AsyncConnection, store: EventStore, quarter: str, issued_on: date) -> Outcome:
    """Issue the quarter's statements once, after the quarter has ended."""
    start, end = quarter_bounds(quarter)
    if issued_on <= end:
        raise RuleViolation(f"{quarter} ends on {end}; its statements are issued after that")
    lines = await compute(conn, quarter)
    events = [
        SubsidyStatementIssuedV1(
            statement_id=statement_id(quarter, line.bank_id, line.county_code),
            bank_id=line.bank_id,
            county_code=line.county_code,
            quarter=quarter,
            period_start=start,
            period_end=end,
            loans=line.loans,
            amount=line.amount,
            issued_on=issued_on,
        )
        for line in lines
    ]
    new = [NewEvent(type=e.TYPE, data=e.model_dump(mode="json")) for e in events]
    try:
        await store.append(conn, STREAM_TYPE, f"subsidy-{quarter}", 0, new)
    except ConcurrencyConflict:
        raise Conflict(
            f"the statements of {quarter} were already issued", quarter=quarter
        ) from None
    body = [e.model_dump(mode="json") for e in events]
    return Outcome({"quarter": quarter, "statements": body}, created=True)


async def pay(conn: AsyncConnection, store: EventStore, statement: str, paid_on: date) -> Outcome:
    query = select(statements).where(statements.c.statement_id == statement)
    row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no subsidy statement {statement}")
    if row.paid_on is not None:
        raise Conflict(f"statement {statement} was paid on {row.paid_on}", paid_on=str(row.paid_on))
    if paid_on < row.issued_on:
        raise RuleViolation(f"a statement issued on {row.issued_on} cannot be paid before it")
    event = SubsidyStatementPaidV1(
        statement_id=statement,
        bank_id=row.bank_id,
        county_code=row.county_code,
        amount=row.amount,
        paid_on=paid_on,
    )
    stream = f"subsidy-{row.quarter}"
    version = len(await store.load(conn, stream))
    new = [NewEvent(type=event.TYPE, data=event.model_dump(mode="json"))]
    await store.append(conn, STREAM_TYPE, stream, version, new)
    return Outcome({**event.model_dump(mode="json"), "quarter": row.quarter})


async def issued(
    conn: AsyncConnection, quarter: str, bank_id: str | None, county_code: str | None
) -> list[dict[str, Any]]:
    """A quarter's statements, a bank's or a county's if named, by bank then county."""
    s = statements.c
    query = select(statements).where(s.quarter == quarter)
    if bank_id is not None:
        query = query.where(s.bank_id == bank_id)
    if county_code is not None:
        query = query.where(s.county_code == county_code)
    rows = await conn.execute(query.order_by(s.bank_id, s.county_code))
    return [dict(r._mapping) for r in rows]
