"""Events the loans service (精准扶贫专项贷款, 贴息, 风险补偿基金) publishes on
``tuopin.loans.events``.

A loan's stream is keyed by its id, derived from the bank and the bank's own loan number,
so each bank's loans are its own. Every loan event names the household and county, so a
consumer (evaluation: credit access per household) needs no other lookup. Money is fen.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from tuopin_contracts.bounds import FenTotal
from tuopin_contracts.catalogue import EventData, event_type
from tuopin_contracts.regions import CountyCode, VillageCode
from tuopin_contracts.topics import Topic
from tuopin_contracts.vocabulary import LoanProduct as Product

AnnualRate = Annotated[
    Decimal, Field(ge=0, le=1, decimal_places=6, description="Per year, e.g. 0.0475 = 4.75 %")
]
Ratio = Annotated[Decimal, Field(ge=0, le=1, decimal_places=4, description="e.g. 0.5000")]


class LoanFact(EventData):
    loan_id: UUID
    bank_id: str = Field(min_length=1, max_length=40)
    household_id: UUID
    county_code: CountyCode
    product: Product


@event_type("loans.loan.approved.v1", topic=Topic.LOANS, effective="decided_on")
class LoanApprovedV1(LoanFact):
    """The bank approved an application that passed the eligibility rules."""

    loan_ref: str = Field(min_length=1, max_length=60, description="The bank's loan number")
    borrower_hash: str = Field(description="Keyed hash of the borrower's resident ID")
    borrower_masked: str
    amount: FenTotal
    term_months: int = Field(ge=1, le=240)
    decided_on: date
    academic_year: int | None = Field(
        default=None,
        ge=1900,
        le=2100,
        description="Student loans: the school year (学年) it pays for, by the year it starts "
        "(2016 = 2016–17). Absent on approvals recorded before it was asked for: the school "
        "year their decision date falls in",
    )


@event_type("loans.loan.rejected.v1", topic=Topic.LOANS, effective="decided_on")
class LoanRejectedV1(LoanFact):
    """The bank turned an application down."""

    loan_ref: str = Field(min_length=1, max_length=60)
    reason: str = Field(min_length=1, max_length=500)
    decided_on: date


@event_type("loans.loan.contract_signed.v1", topic=Topic.LOANS, effective="signed_on")
class ContractSignedV1(LoanFact):
    """The contract: amount, term and the benchmark rate in force at signing."""

    amount: FenTotal
    term_months: int = Field(ge=1, le=240)
    annual_rate: AnnualRate
    rate_effective_date: date = Field(description="The benchmark table row the rate comes from")
    signed_on: date
    maturity_date: date
    subsidy_until: date = Field(description="Last day the province subsidises interest (贴息)")


@event_type("loans.loan.disbursed.v1", topic=Topic.LOANS, effective="disbursed_on")
class LoanDisbursedV1(LoanFact):
    amount: FenTotal
    disbursed_on: date
    outstanding: FenTotal


@event_type("loans.loan.repayment_received.v1", topic=Topic.LOANS, effective="received_on")
class RepaymentReceivedV1(LoanFact):
    """A repayment, split into principal and interest; also a recovery after default."""

    principal: FenTotal
    interest: FenTotal
    received_on: date
    outstanding: FenTotal


@event_type("loans.loan.overdue.v1", topic=Topic.LOANS, effective="as_of")
class LoanOverdueV1(LoanFact):
    days_past_due: int = Field(ge=0, description="0: current again")
    as_of: date


@event_type("loans.loan.defaulted.v1", topic=Topic.LOANS, effective="defaulted_on")
class LoanDefaultedV1(LoanFact):
    defaulted_on: date
    outstanding: FenTotal


@event_type("loans.loan.written_off.v1", topic=Topic.LOANS, effective="written_off_on")
class LoanWrittenOffV1(LoanFact):
    written_off_on: date
    amount: FenTotal


@event_type("loans.loan.premium_subsidised.v1", topic=Topic.LOANS, effective="paid_on")
class PremiumSubsidisedV1(LoanFact):
    """A guarantee-insurance (保证保险) or accident-insurance (意外险) premium and its subsidy."""

    insurance: str = Field(pattern="^(guarantee|accident)$")
    premium: FenTotal
    subsidy: FenTotal
    paid_on: date


@event_type("loans.subsidy.statement_issued.v1", topic=Topic.LOANS, effective="issued_on")
class SubsidyStatementIssuedV1(EventData):
    """A quarter's interest subsidy (贴息) one bank is owed for one county's loans."""

    statement_id: UUID
    bank_id: str
    county_code: CountyCode
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$")
    period_start: date
    period_end: date
    loans: int = Field(ge=0)
    amount: FenTotal
    issued_on: date


@event_type("loans.subsidy.statement_paid.v1", topic=Topic.LOANS, effective="paid_on")
class SubsidyStatementPaidV1(EventData):
    statement_id: UUID
    bank_id: str
    county_code: CountyCode
    amount: FenTotal
    paid_on: date


class FundFact(EventData):
    fund_id: str = Field(description="county-<code> or province", examples=["county-621121"])


@event_type("loans.fund.contribution_received.v1", topic=Topic.LOANS, effective="received_on")
class FundContributionReceivedV1(FundFact):
    """Money into a risk compensation fund (风险补偿基金) from finance or a bank."""

    contributor: str = Field(description="finance or bank:<bank id>")
    amount: FenTotal
    received_on: date
    balance: FenTotal


@event_type("loans.fund.claim_lodged.v1", topic=Topic.LOANS, effective="lodged_on")
class CompensationClaimLodgedV1(FundFact):
    """A bank claims the fund's share of a defaulted loan's unrecovered principal."""

    claim_id: UUID
    loan_id: UUID
    bank_id: str
    product: Product
    unrecovered: FenTotal
    ratio: Ratio
    claimed: FenTotal
    lodged_on: date


@event_type("loans.fund.claim_paid.v1", topic=Topic.LOANS, effective="paid_on")
class CompensationPaidV1(FundFact):
    claim_id: UUID
    loan_id: UUID
    bank_id: str
    amount: FenTotal
    paid_on: date
    balance: FenTotal


@event_type("loans.fund.recovery_shared.v1", topic=Topic.LOANS, effective="returned_on")
class RecoveryReturnedV1(FundFact):
    """Money recovered on a compensated loan, returned to the fund in the claim's ratio."""

    claim_id: UUID
    loan_id: UUID
    recovered: FenTotal
    amount: FenTotal
    returned_on: date
    balance: FenTotal


@event_type("loans.fund.replenishment_needed.v1", topic=Topic.LOANS, effective="as_of")
class ReplenishmentNeededV1(FundFact):
    """The balance fell below the warning threshold, or claims wait for money."""

    balance: FenTotal
    threshold: FenTotal
    claims_waiting: FenTotal
    as_of: date


@event_type("loans.programme.quota_allocated.v1", topic=Topic.LOANS, effective="allocated_on")
class QuotaAllocatedV1(EventData):
    """The province sets a county's share of the microcredit programme's ceiling."""

    county_code: CountyCode
    amount: FenTotal
    allocated_on: date


class MutualAidFact(EventData):
    """A village mutual-aid fund (村级互助资金); its county is the village code's first six
    digits."""

    fund_id: str = Field(pattern=r"^mutual-aid-62[0-9]{10}$", examples=["mutual-aid-621121100201"])
    village_code: VillageCode


@event_type("loans.mutual_aid.contribution_received.v1", topic=Topic.LOANS, effective="received_on")
class MutualAidContributionReceivedV1(MutualAidFact):
    """Money into a village's mutual-aid fund."""

    source: Literal["finance", "collective", "member_shares", "donation"] = Field(
        description="财政扶贫资金, 村集体, 农户入股 or 社会捐赠"
    )
    amount: FenTotal
    received_on: date
    balance: FenTotal


@event_type("loans.mutual_aid.loan_granted.v1", topic=Topic.LOANS, effective="lent_on")
class MutualAidLoanGrantedV1(MutualAidFact):
    """The fund lent to a registered household of its village."""

    loan_id: UUID
    household_id: UUID
    amount: FenTotal
    term_months: int = Field(ge=1, le=240)
    fee_rate: AnnualRate = Field(description="Occupancy fee (占用费) per year")
    lent_on: date
    due_on: date
    balance: FenTotal


@event_type("loans.mutual_aid.repayment_received.v1", topic=Topic.LOANS, effective="received_on")
class MutualAidRepaymentReceivedV1(MutualAidFact):
    """Principal back with its occupancy fee, which stays in the fund."""

    loan_id: UUID
    household_id: UUID
    principal: FenTotal
    fee: FenTotal
    received_on: date
    outstanding: FenTotal = Field(description="Still owed on this loan")
    balance: FenTotal
