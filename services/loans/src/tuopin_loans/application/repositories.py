"""The repositories of loans' aggregates."""

from tuopin_eventkit.store.repository import Repository
from tuopin_eventkit.store.store import EventStore
from tuopin_loans.domain.fund import RiskFund
from tuopin_loans.domain.loan import Loan


def loans(store: EventStore) -> Repository[Loan]:
    return Repository(store, "loan", Loan)


def funds(store: EventStore) -> Repository[RiskFund]:
    return Repository(store, "fund", RiskFund)
