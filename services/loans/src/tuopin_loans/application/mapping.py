"""Loans' domain events ↔ their contracts, and the repositories of its aggregates."""

from tuopin_contracts.events import loans as contract
from tuopin_eventkit.repository import EventMap, Repository
from tuopin_eventkit.store import EventStore
from tuopin_loans.domain import fund, loan, mutual_aid
from tuopin_loans.domain.fund import RiskFund
from tuopin_loans.domain.loan import Loan

EVENTS = EventMap(
    [
        (loan.LoanApproved, contract.LoanApprovedV1),
        (loan.LoanRejected, contract.LoanRejectedV1),
        (loan.ContractSigned, contract.ContractSignedV1),
        (loan.LoanDisbursed, contract.LoanDisbursedV1),
        (loan.RepaymentReceived, contract.RepaymentReceivedV1),
        (loan.LoanOverdue, contract.LoanOverdueV1),
        (loan.LoanDefaulted, contract.LoanDefaultedV1),
        (loan.LoanWrittenOff, contract.LoanWrittenOffV1),
        (loan.PremiumSubsidised, contract.PremiumSubsidisedV1),
        (fund.ContributionReceived, contract.FundContributionReceivedV1),
        (fund.ClaimLodged, contract.CompensationClaimLodgedV1),
        (fund.CompensationPaid, contract.CompensationPaidV1),
        (fund.RecoveryReturned, contract.RecoveryReturnedV1),
        (fund.ReplenishmentNeeded, contract.ReplenishmentNeededV1),
        (mutual_aid.MutualAidContributionReceived, contract.MutualAidContributionReceivedV1),
        (mutual_aid.MutualAidLoanGranted, contract.MutualAidLoanGrantedV1),
        (mutual_aid.MutualAidRepaymentReceived, contract.MutualAidRepaymentReceivedV1),
    ]
)


def loans(store: EventStore) -> Repository[Loan]:
    return EVENTS.repository(store, "loan", Loan)


def funds(store: EventStore) -> Repository[RiskFund]:
    return EVENTS.repository(store, "fund", RiskFund)
