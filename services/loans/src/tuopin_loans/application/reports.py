"""Portfolio reports for offices and banks: per bank, county or product — loans and money
disbursed, outstanding, overdue and non-performing ratios, PAR30, written off and recovered
after write-off, subsidy issued and paid, compensation claimed and paid — and the funds'
balances.

Outstanding is the gross principal on the books: written-off principal leaves it (and so
every ratio, which is a part of it) on the write-off's date and is reported on its own
lines. NPL = defaulted or more than 90 days past due; PAR30 = at least 30 days past due
or defaulted.

The portfolio is today's, or as of a business day (the postings dated on or before it,
however late the bank sent them), or as known at an instant (only the postings recorded
by then: what the report said at that time), or both."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from tuopin_eventkit.db import recorded_by
from tuopin_loans.application.book_tables import claims, funds, history, loans, statements
from tuopin_loans.domain.fund import county_fund
from tuopin_loans.domain.loan import LoanState


class GroupBy(StrEnum):
    BANK = "bank"
    COUNTY = "county"
    PRODUCT = "product"
    # One line for all that is asked for (the province, or the county named), keyed by that
    # region's code, its ratios computed here: the leadership dashboard's loans panel.
    TOTAL = "total"


COLUMN = {GroupBy.BANK: "bank_id", GroupBy.COUNTY: "county_code", GroupBy.PRODUCT: "product"}
PROVINCE = "620000"  # the total's key when no county is named


def ratio(part: int, whole: int) -> str:
    if whole == 0:
        return "0.0000"
    return str((Decimal(part) / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def _by(column: Any, day: date | None, instant_column: Any, instant: datetime | None) -> Any:
    """Dated on or before ``day`` and recorded by ``instant``, where given."""
    return and_(
        true() if day is None else column <= day,
        recorded_by(instant_column, instant),
    )


def _loans_then(as_of: date | None, known_at: datetime | None) -> Any:
    """Each loan's row after its last posting dated by ``as_of`` and recorded by
    ``known_at`` (a loan's postings never go back in date, so that is a prefix of them)."""
    H = history.c
    seen = _by(H.on, as_of, H.recorded_at, known_at)
    last = (
        select(H.loan_id, func.max(H.sequence).label("sequence"))
        .where(seen)
        .group_by(H.loan_id)
        .subquery()
    )
    return (
        select(history)
        .join(last, and_(H.loan_id == last.c.loan_id, H.sequence == last.c.sequence))
        .subquery("loans_then")
    )


async def portfolio(
    conn: AsyncConnection,
    group: GroupBy,
    bank_id: str | None = None,
    as_of: date | None = None,
    known_at: datetime | None = None,
    county_code: str | None = None,
) -> list[dict[str, Any]]:
    """The portfolio by ``group``, of one bank or one county when named."""
    now = as_of is None and known_at is None
    L = loans.c if now else _loans_then(as_of, known_at).c
    # The total groups by nothing: one line however many loans, zeros for none.
    column = COLUMN.get(group)
    keys = [L[column].label("key")] if column else []
    bad = L.state == LoanState.DEFAULTED
    # Written-off principal is off the books: its own lines, in no outstanding or ratio.
    gone = L.state == LoanState.WRITTEN_OFF

    def outstanding_where(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition & ~gone, L.outstanding), else_=0)), 0)

    query = select(
        *keys,
        func.count().filter(L.disbursed > 0).label("loans_disbursed"),
        func.coalesce(func.sum(L.disbursed), 0).label("disbursed"),
        outstanding_where(true()).label("outstanding"),
        outstanding_where((L.days_past_due > 0) | bad).label("overdue"),
        outstanding_where((L.days_past_due >= 30) | bad).label("par30"),
        outstanding_where((L.days_past_due > 90) | bad).label("non_performing"),
        func.coalesce(func.sum(L.written_off), 0).label("written_off"),
        # A written-off loan's outstanding is what is still unrecovered of the write-off.
        func.coalesce(func.sum(case((gone, L.written_off - L.outstanding), else_=0)), 0).label(
            "recovered_after_write_off"
        ),
        func.coalesce(func.sum(L.premium_subsidy), 0).label("premium_subsidy"),
    )
    if column:
        query = query.group_by(L[column]).order_by(L[column])
    if bank_id is not None:
        query = query.where(L.bank_id == bank_id)
    if county_code is not None:
        query = query.where(L.county_code == county_code)
    # PostgreSQL sums bigints as numeric: back to whole fen.
    total = county_code or PROVINCE
    rows = {
        (r.key if column else total): {k: int(v) for k, v in r._mapping.items() if k != "key"}
        for r in await conn.execute(query)
    }
    t = statements.c
    issued = _by(t.issued_on, as_of, t.issued_at, known_at)
    paid = _by(t.paid_on, as_of, t.paid_at, known_at)
    subsidy = await _sums(
        conn, statements, column, bank_id, county_code, "amount", issued, paid, total
    )
    t = claims.c
    lodged = _by(t.lodged_on, as_of, t.lodged_at, known_at)
    paid = _by(t.paid_on, as_of, t.paid_at, known_at)
    compensation = await _sums(
        conn, claims, column, bank_id, county_code, "claimed", lodged, paid, total
    )
    report = []
    for key_value, row in rows.items():
        out = row["outstanding"]
        issued, paid = subsidy.get(key_value, (0, 0))
        claimed, compensated = compensation.get(key_value, (0, 0))
        report.append(
            {
                group.value: key_value,
                **row,
                "overdue_ratio": ratio(row["overdue"], out),
                "par30_ratio": ratio(row["par30"], out),
                "npl_ratio": ratio(row["non_performing"], out),
                "subsidy_issued": issued,
                "subsidy_paid": paid,
                "compensation_claimed": claimed,
                "compensation_paid": compensated,
            }
        )
    return report


async def _sums(
    conn: AsyncConnection,
    table: Any,
    column: str | None,
    bank_id: str | None,
    county_code: str | None,
    amount: str,
    issued: ColumnElement[bool],
    paid: ColumnElement[bool],
    total: str,
) -> dict[Any, tuple[int, int]]:
    """Amount issued (claimed) and amount paid, by the report's key where the table has it
    (``column`` None: the one line keyed ``total``)."""
    t = table.c
    if column is not None and column not in t:
        return {}
    sums = (
        func.coalesce(func.sum(t[amount]), 0),
        func.coalesce(func.sum(case((t.paid_on.is_not(None) & paid, t[amount]), else_=0)), 0),
    )
    keys = [t[column]] if column else []
    query = select(*keys, *sums).where(issued)
    if column:
        query = query.group_by(t[column])
    if bank_id is not None:
        query = query.where(t.bank_id == bank_id)
    if county_code is not None:
        query = query.where(t.county_code == county_code)
    found = await conn.execute(query)
    if column is None:  # no GROUP BY: exactly one line
        line = found.one()
        return {total: (int(line[0]), int(line[1]))}
    return {r[0]: (int(r[1]), int(r[2])) for r in found}


async def fund_accounts(
    conn: AsyncConnection, county_code: str | None = None
) -> list[dict[str, Any]]:
    """Every fund's account, or one county's fund's."""
    query = select(funds).order_by(funds.c.fund_id)
    if county_code is not None:
        query = query.where(funds.c.fund_id == county_fund(county_code))
    rows = await conn.execute(query)
    return [dict(r._mapping) for r in rows]
