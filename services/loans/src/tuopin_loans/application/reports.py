"""Portfolio reports for offices and banks: per bank, county or product — loans and money
disbursed, outstanding, overdue and non-performing ratios, PAR30, subsidy issued and paid,
compensation claimed and paid — and the funds' balances."""

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_loans.application.loan_book import claims, funds, loans, statements
from tuopin_loans.domain.loan import LoanState


class GroupBy(StrEnum):
    BANK = "bank"
    COUNTY = "county"
    PRODUCT = "product"


COLUMN = {GroupBy.BANK: "bank_id", GroupBy.COUNTY: "county_code", GroupBy.PRODUCT: "product"}


def ratio(part: int, whole: int) -> str:
    if whole == 0:
        return "0.0000"
    return str((Decimal(part) / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


async def portfolio(
    conn: AsyncConnection, group: GroupBy, bank_id: str | None = None
) -> list[dict[str, Any]]:
    L = loans.c
    key = L[COLUMN[group]]
    bad = L.state == LoanState.DEFAULTED

    def outstanding_where(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, L.outstanding), else_=0)), 0)

    query = select(
        key.label("key"),
        func.count().filter(L.disbursed > 0).label("loans_disbursed"),
        func.coalesce(func.sum(L.disbursed), 0).label("disbursed"),
        func.coalesce(func.sum(L.outstanding), 0).label("outstanding"),
        outstanding_where((L.days_past_due > 0) | bad).label("overdue"),
        outstanding_where((L.days_past_due > 30) | bad).label("par30"),
        outstanding_where((L.days_past_due > 90) | bad).label("non_performing"),
        func.coalesce(func.sum(L.written_off), 0).label("written_off"),
        func.coalesce(func.sum(L.premium_subsidy), 0).label("premium_subsidy"),
    ).group_by(key)
    if bank_id is not None:
        query = query.where(L.bank_id == bank_id)
    # PostgreSQL sums bigints as numeric: back to whole fen.
    rows = {
        r.key: {k: int(v) for k, v in r._mapping.items() if k != "key"}
        for r in await conn.execute(query.order_by(key))
    }
    subsidy = await _sums(conn, statements, COLUMN.get(group), bank_id, "amount", "paid_on")
    compensation = await _sums(conn, claims, COLUMN.get(group), bank_id, "claimed", "paid_on")
    report = []
    for key_value, row in rows.items():
        out = row["outstanding"]
        issued, paid = subsidy.get(key_value, (0, 0))
        claimed, compensated = compensation.get(key_value, (0, 0))
        report.append({
            group.value: key_value,
            **row,
            "overdue_ratio": ratio(row["overdue"], out),
            "par30_ratio": ratio(row["par30"], out),
            "npl_ratio": ratio(row["non_performing"], out),
            "subsidy_issued": issued, "subsidy_paid": paid,
            "compensation_claimed": claimed, "compensation_paid": compensated,
        })  # fmt: skip
    return report


async def _sums(
    conn: AsyncConnection, table: Any, column: str | None, bank_id: str | None, amount: str,
    paid: str,
) -> dict[Any, tuple[int, int]]:  # fmt: skip
    """Amount issued (claimed) and amount paid, by the report's key where the table has it."""
    t = table.c
    if column not in t:
        return {}
    query = select(
        t[column].label("key"),
        func.coalesce(func.sum(t[amount]), 0),
        func.coalesce(func.sum(case((t[paid].is_not(None), t[amount]), else_=0)), 0),
    ).group_by(t[column])
    if bank_id is not None:
        query = query.where(t.bank_id == bank_id)
    return {r[0]: (int(r[1]), int(r[2])) for r in await conn.execute(query)}


async def fund_accounts(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(select(funds).order_by(funds.c.fund_id))
    return [dict(r._mapping) for r in rows]
