"""The mutual-aid ledger (互助资金台账): each village fund's balance and totals, what came in
from each source, and its loans to member households — an inline projection of the funds'
own events, written in the same transaction as they are and rebuilt from them on demand.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import loans as lo
from tuopin_eventkit.batched import upsert
from tuopin_eventkit.store import columns
from tuopin_eventkit.store.projection import Delivered, Projection
from tuopin_loans.domain.mutual_aid import MutualAidRule

metadata = MetaData()

funds = Table(
    "mutual_aid_funds",
    metadata,
    columns.village_code(primary_key=True),
    columns.county_code(nullable=False, index=True),
    Column("balance", BigInteger, nullable=False),  # fen, cash not lent out
    Column("contributed", BigInteger, nullable=False),
    Column("lent", BigInteger, nullable=False),
    Column("repaid", BigInteger, nullable=False),  # principal back
    Column("fees", BigInteger, nullable=False),  # 占用费 earned
    Column("opened_on", Date, nullable=False),
)
by_source = Table(
    "mutual_aid_contributions",
    metadata,
    columns.village_code(primary_key=True),
    Column("source", String(16), primary_key=True),
    Column("amount", BigInteger, nullable=False),
)
loans = Table(
    "mutual_aid_loans",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    columns.village_code(nullable=False, index=True),
    columns.household_id(nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("fee_rate", String(12), nullable=False),  # a Decimal as text
    Column("lent_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("outstanding", BigInteger, nullable=False),
    Column("fees_paid", BigInteger, nullable=False),
)

ledger = Projection("loans.mutual_aid", tables=[funds, by_source, loans])
F = funds.c


async def _move(conn: AsyncConnection, d: Any, on: date, **deltas: int) -> None:
    """Open the fund's row if this is its first event, then move its totals; the balance
    is the event's own."""
    zero = {"contributed": 0, "lent": 0, "repaid": 0, "fees": 0}
    row = {
        "village_code": d.village_code,
        "county_code": d.village_code[:6],
        "balance": d.balance,
        "opened_on": on,
        **zero,
    }
    await upsert(conn, funds, row, keys=["village_code"])
    moved = {k: F[k] + v for k, v in deltas.items()}
    await conn.execute(
        update(funds).where(F.village_code == d.village_code).values(balance=d.balance, **moved)
    )


@ledger.on(lo.MutualAidContributionReceivedV1)
async def contributed(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        d = e.data
        await _move(conn, d, d.received_on, contributed=d.amount)
        key = {"village_code": d.village_code, "source": d.source}
        await upsert(conn, by_source, {**key, "amount": 0}, keys=list(key))
        s = by_source.c
        await conn.execute(
            update(by_source)
            .where(s.village_code == d.village_code, s.source == d.source)
            .values(amount=s.amount + d.amount)
        )


@ledger.on(lo.MutualAidLoanGrantedV1)
async def granted(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        d = e.data
        await _move(conn, d, d.lent_on, lent=d.amount)
        row = {
            "loan_id": str(d.loan_id),
            "village_code": d.village_code,
            "household_id": str(d.household_id),
            "amount": d.amount,
            "term_months": d.term_months,
            "fee_rate": str(d.fee_rate),
            "lent_on": d.lent_on,
            "due_on": d.due_on,
            "outstanding": d.amount,
            "fees_paid": 0,
        }
        await upsert(conn, loans, row, keys=["loan_id"])


@ledger.on(lo.MutualAidRepaymentReceivedV1)
async def repaid(conn: AsyncConnection, events: Sequence[Delivered]) -> None:
    for e in events:
        d = e.data
        await _move(conn, d, d.received_on, repaid=d.principal, fees=d.fee)
        await conn.execute(
            update(loans)
            .where(loans.c.loan_id == str(d.loan_id))
            .values(outstanding=d.outstanding, fees_paid=loans.c.fees_paid + d.fee)
        )


def _capital(row: Any) -> int:
    """资金规模: contributions plus fee income (what is lent out is still the fund's)."""
    return int(row.contributed + row.fees)


async def villages(
    conn: AsyncConnection, county_code: str | None, rule: MutualAidRule
) -> list[dict[str, Any]]:
    """Every fund (of a county, or of the province) with its size against the target."""
    query = select(funds).order_by(F.village_code)
    if county_code is not None:
        query = query.where(F.county_code == county_code)
    return [
        {
            "village_code": r.village_code,
            "county_code": r.county_code,
            "capital": _capital(r),
            "balance": r.balance,
            "outstanding": r.lent - r.repaid,
            "target": rule.target,
            "shortfall": max(rule.target - _capital(r), 0),
            "target_met": _capital(r) >= rule.target,
        }
        for r in await conn.execute(query)
    ]


async def member_loans(conn: AsyncConnection, village_code: str) -> list[dict[str, Any]]:
    """The fund's loans (借款台账), oldest first."""
    L = loans.c
    query = select(loans).where(L.village_code == village_code).order_by(L.lent_on, L.loan_id)
    return [dict(r._mapping) for r in await conn.execute(query)]
