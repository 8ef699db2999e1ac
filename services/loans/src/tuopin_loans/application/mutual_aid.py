"""Commands on village mutual-aid funds (村级互助资金), as village and county offices post
them; each runs in the caller's transaction (with its idempotency record) and writes all
of its events or none."""

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.events import loans as lo
from tuopin_eventkit.store.idempotency import Outcome
from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore
from tuopin_loans.application import borrower_households as registry
from tuopin_loans.application.reference import REFERENCE
from tuopin_loans.domain.mutual_aid import (
    MutualAidFund,
    MutualAidRule,
    Source,
    fund_id,
    rule_on,
)


@cache
def rules() -> tuple[MutualAidRule, ...]:
    data = json.loads((REFERENCE / "programme.json").read_text(encoding="utf-8"))
    return tuple(
        MutualAidRule(
            effective_from=date.fromisoformat(r["effective_from"]),
            target=r["target"],
            max_loan=r["max_loan"],
            max_term_months=r["max_term_months"],
            fee_rate=Decimal(r["fee_rate"]),
            source=r["source"],
        )
        for r in data["mutual_aid"]
    )


def rule(on: date) -> MutualAidRule:
    return rule_on(rules(), on)


def funds(store: EventStore) -> Repository[MutualAidFund]:
    return Repository(store, "mutual_aid_fund", MutualAidFund)


def view(fund: MutualAidFund) -> dict[str, Any]:
    return {
        "fund_id": fund.id,
        "village_code": fund.village_code,
        "balance": fund.balance,
        "capital": fund.capital,
        "outstanding": fund.outstanding,
        "version": fund.version,
    }


async def standing(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    as_of: date,
    known_at: datetime | None = None,
) -> dict[str, Any] | None:
    """A fund as its office and the province see it on the business date ``as_of`` (its
    cash book runs in date order, so the replay up to a day is the book on that day), as
    recorded by ``known_at``; None if it had no posting by then."""
    fund = await funds(store).get(conn, fund_id(village_code), known_at, as_of)
    if fund is None:
        return None
    in_force = rule(as_of)
    overdue = fund.overdue(as_of)
    return {
        "village_code": village_code,
        "county_code": village_code[:6],
        "opened_on": fund.opened_on,
        "balance": fund.balance,
        "capital": fund.capital,
        "contributed": sum(fund.contributed.values()),
        "contributed_by_source": dict(fund.contributed),
        "lent": fund.lent,
        "repaid": fund.lent - fund.outstanding,
        "fees": fund.fees,
        "outstanding": fund.outstanding,
        "households_served": len({m.granted.household_id for m in fund.loans.values()}),
        "as_of": as_of,
        "known_at": known_at,
        "overdue_loans": len(overdue),
        "overdue_principal": sum(m.outstanding for m in overdue),
        "target": in_force.target,
        "target_met": fund.capital >= in_force.target,
    }


def loan_view(fund: MutualAidFund, loan_id: str) -> dict[str, Any]:
    loan = fund.loans[loan_id]
    g = loan.granted
    return {
        "loan_id": loan_id,
        "household_id": g.household_id,
        "amount": g.amount,
        "term_months": g.term_months,
        "fee_rate": str(g.fee_rate),
        "lent_on": g.lent_on,
        "due_on": g.due_on,
        "outstanding": loan.outstanding,
        "fund": view(fund),
    }


async def _change(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    decide: Callable[[MutualAidFund], None],
    opening: bool = False,
) -> MutualAidFund:
    """Load the village's fund (a first contribution opens it), let it decide, save."""
    the_id = fund_id(village_code)
    fund, _ = await funds(store).change(
        conn,
        the_id,
        decide,
        missing=f"village {village_code} has no mutual-aid fund",
        opening=(lambda: MutualAidFund(the_id)) if opening else None,
    )
    return fund


async def contribute(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    source: Source,
    amount: int,
    on: date,
) -> Outcome:
    fund = await _change(
        conn, store, village_code, lambda f: f.contribute(source, amount, on), opening=True
    )
    return Outcome(view(fund), created=True)


async def lend(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    household_id: str,
    amount: int,
    term_months: int,
    on: date,
) -> Outcome:
    home = await registry.household(conn, household_id)
    household_village = str(home["village_code"]) if home else None
    loan_id = str(uuid4())
    fund = await _change(
        conn,
        store,
        village_code,
        lambda f: f.lend(
            loan_id, household_id, household_village, amount, term_months, on, rule(on)
        ),
    )
    return Outcome(loan_view(fund, loan_id), created=True)


async def repay(
    conn: AsyncConnection,
    store: EventStore,
    village_code: str,
    loan_id: str,
    principal: int,
    on: date,
) -> Outcome:
    received: list[lo.MutualAidRepaymentReceivedV1] = []

    def decide(fund: MutualAidFund) -> None:
        fund.repay(loan_id, principal, on)
        received.append(fund.pending[-1])

    fund = await _change(conn, store, village_code, decide)
    repayment = {"principal": principal, "fee": received[0].fee, "received_on": on}
    return Outcome({**loan_view(fund, loan_id), "repayment": repayment}, created=True)
