"""What the loans service's read endpoints answer: one model per answer, so the API
document says each field and a change that drops one fails the schema tests. Money is
integer fen; rates and ratios are decimal strings, never floats."""

from datetime import date, datetime
from uuid import UUID

from pydantic import Field

from tuopin_contracts.events import loans as lo
from tuopin_contracts.vocabulary import HouseholdStatus, LoanProduct
from tuopin_eventkit.answers import answer_of
from tuopin_eventkit.web.http import Answer


class BookedLoan(Answer):
    """A loan as the loan book holds it (the bank's own only)."""

    loan_id: UUID
    bank_id: str
    loan_ref: str
    household_id: UUID
    county_code: str
    product: LoanProduct
    state: str
    borrower_masked: str | None
    decided_on: date
    academic_year: int | None = Field(description="Student loans: the school year (学年)")
    amount: int = Field(description="Approved, then contracted (fen)")
    term_months: int
    annual_rate: str | None
    signed_on: date | None
    maturity_date: date | None
    subsidy_until: date | None
    disbursed: int
    outstanding: int
    interest_received: int
    days_past_due: int
    defaulted_on: date | None
    written_off: int
    premium_subsidy: int


class Loan(Answer):
    """A loan as its postings left it."""

    loan_ref: str | None
    loan_id: UUID
    bank_id: str
    household_id: UUID
    county_code: str
    product: LoanProduct
    state: str
    contract_amount: int | None
    annual_rate: str | None
    maturity_date: date | None
    subsidy_until: date | None
    disbursed: int
    outstanding: int
    days_past_due: int
    version: int = Field(description="For If-Match")


class Eligibility(Answer):
    """Where a household stands for a product on a business day (the borrower's own
    rules — age, schooling — are judged when a bank posts the approval)."""

    household_id: UUID
    product: LoanProduct
    as_of: date
    known_at: datetime | None
    status: HouseholdStatus | None
    status_since: date | None
    outstanding: int
    limit: int
    available: int
    eligible: bool
    reasons: list[str]


class QuotaStanding(Answer):
    county_code: str
    quota: int | None = Field(description="None: no quota allocated to the county yet")
    committed: int
    programme_ceiling: int
    programme_committed: int


class FundAccount(Answer):
    fund_id: str
    balance: int
    contributed: int
    claimed: int
    paid: int
    returned: int


class WaitingClaim(Answer):
    claim_id: UUID
    loan_id: UUID
    claimed: int


class Fund(Answer):
    fund_id: str
    balance: int
    contributed: int
    claims_waiting: list[WaitingClaim] = Field(description="In the order they are paid")
    claims_paid: int
    version: int


class SubsidyLine(Answer):
    """One settlement line: a bank, a county, a quarter."""

    bank_id: str
    county_code: str
    loans: int
    amount: int


class Statement(SubsidyLine):
    """贴息结算单, as issued (and paid)."""

    statement_id: UUID
    quarter: str
    issued_on: date
    paid_on: date | None
    issued_at: datetime | None
    paid_at: datetime | None


class PortfolioRow(Answer):
    """One bank, county or product, or the total (the one grouped by is set); amounts in
    fen, ratios of outstanding as decimal strings (README: the definitions)."""

    bank: str | None = None
    county: str | None = None
    product: LoanProduct | None = None
    total: str | None = Field(None, description="The province (620000) or the county named")
    loans_disbursed: int
    disbursed: int
    outstanding: int
    overdue: int
    par30: int
    non_performing: int
    written_off: int
    recovered_after_write_off: int
    premium_subsidy: int
    overdue_ratio: str
    par30_ratio: str
    npl_ratio: str
    subsidy_issued: int
    subsidy_paid: int
    compensation_claimed: int
    compensation_paid: int


class MutualAidFund(Answer):
    """村级互助资金: a village's fund on a day, against the 500,000-yuan target."""

    village_code: str
    county_code: str
    opened_on: date
    balance: int
    capital: int
    contributed: int
    contributed_by_source: dict[str, int]
    lent: int
    repaid: int
    fees: int
    outstanding: int
    households_served: int
    as_of: date
    known_at: datetime | None
    overdue_loans: int
    overdue_principal: int
    target: int
    target_met: bool


class MutualAidTerms(Answer):
    """A loan from a village's mutual-aid fund: its terms and what is still owed."""

    loan_id: UUID
    household_id: UUID
    amount: int
    term_months: int
    fee_rate: str
    lent_on: date
    due_on: date
    outstanding: int


class MutualAidLoan(MutualAidTerms):
    """One line of the fund's 借款台账."""

    village_code: str
    fees_paid: int


class VillageFund(Answer):
    village_code: str
    county_code: str
    capital: int
    balance: int
    outstanding: int
    target: int
    shortfall: int
    target_met: bool


class MutualAidFunds(Answer):
    """The village funds of a county (or the province) against the target."""

    county_code: str | None
    target: int
    funds: int
    meeting_target: int
    capital: int
    villages: list[VillageFund]


# --- what the commands answer --------------------------------------------------------

StatementIssued = answer_of(lo.SubsidyStatementIssuedV1, "StatementIssued")
StatementPaid = answer_of(lo.SubsidyStatementPaidV1, "StatementPaid", quarter=str)


class StatementsIssued(Answer):
    """The quarter's statements, one per bank and county, as issued."""

    quarter: str
    statements: list[StatementIssued]  # type: ignore[valid-type]  # made by answer_of


class MutualAidBalance(Answer):
    """A village's mutual-aid fund after the money moved."""

    fund_id: str
    village_code: str
    balance: int
    capital: int
    outstanding: int
    version: int


class MutualAidLending(MutualAidTerms):
    """A loan from the village's fund, and the fund after it."""

    fund: MutualAidBalance


class Repaid(Answer):
    principal: int
    fee: int = Field(description="占用费, on the principal repaid")
    received_on: date


class MutualAidRepayment(MutualAidLending):
    repayment: Repaid
