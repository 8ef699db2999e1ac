"""The loan book's tables (贷款台账): loans and their history after each posting, principal
movements, the risk funds and their claims, county quotas and subsidy statements. The
loan book projection (``loan_book``) writes them; reports and settlement read them.
"""

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from tuopin_eventkit.store import columns

metadata = MetaData()

loans = Table(
    "loan_book",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    Column("bank_id", String(40), nullable=False, index=True),
    Column("loan_ref", String(60), nullable=False),
    columns.household_id(nullable=False, index=True),
    columns.county_code(nullable=False, index=True),
    Column("product", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("borrower_masked", String(24)),
    Column("borrower_hash", String(64), index=True),  # keyed hash: a student's loans per year
    Column("decided_on", Date, nullable=False),
    Column("academic_year", Integer),  # student loans: the school year it pays for (学年)
    Column("amount", BigInteger, nullable=False),  # approved, then contracted (fen)
    Column("term_months", Integer, nullable=False),
    Column("annual_rate", String(12)),  # a Decimal as text: SQLite has no exact numeric
    Column("signed_on", Date),
    Column("maturity_date", Date),
    Column("subsidy_until", Date),
    Column("disbursed", BigInteger, nullable=False, default=0),
    Column("outstanding", BigInteger, nullable=False, default=0),
    Column("interest_received", BigInteger, nullable=False, default=0),
    Column("days_past_due", Integer, nullable=False, default=0),
    Column("defaulted_on", Date),
    Column("written_off", BigInteger, nullable=False, default=0),
    Column("premium_subsidy", BigInteger, nullable=False, default=0),
    UniqueConstraint("bank_id", "loan_ref"),
)
# What a portfolio report needs of a loan, after each of its postings.
history = Table(
    "loan_book_history",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    columns.sequence(),
    Column("on", Date, nullable=False, index=True),  # the posting's business date
    columns.recorded_at(),
    Column("bank_id", String(40), nullable=False),
    columns.county_code(nullable=False),
    Column("product", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("disbursed", BigInteger, nullable=False),
    Column("outstanding", BigInteger, nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("written_off", BigInteger, nullable=False),
    Column("premium_subsidy", BigInteger, nullable=False),
)
SNAPSHOT = [c.name for c in history.columns][4:]
movements = Table(
    "principal_movements",
    metadata,
    Column("loan_id", String(36), primary_key=True),
    columns.sequence(),
    Column("on", Date, nullable=False),
    Column("delta", BigInteger, nullable=False),
)
funds = Table(
    "fund_accounts",
    metadata,
    Column("fund_id", String(20), primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("contributed", BigInteger, nullable=False),
    Column("claimed", BigInteger, nullable=False),
    Column("paid", BigInteger, nullable=False),
    Column("returned", BigInteger, nullable=False),
)
claims = Table(
    "fund_claims",
    metadata,
    Column("claim_id", String(36), primary_key=True),
    Column("fund_id", String(20), nullable=False, index=True),
    columns.county_code(index=True),  # None for the province's fund
    Column("loan_id", String(36), nullable=False, unique=True),
    Column("bank_id", String(40), nullable=False),
    Column("product", String(16), nullable=False),
    Column("claimed", BigInteger, nullable=False),
    Column("lodged_on", Date, nullable=False),
    Column("paid_on", Date),
    Column("lodged_at", DateTime(timezone=True)),  # recording instants (None: before l0006)
    Column("paid_at", DateTime(timezone=True)),
)
quotas = Table(
    "county_quotas",
    metadata,
    columns.county_code(primary_key=True),
    Column("amount", BigInteger, nullable=False),
)
statements = Table(
    "subsidy_statements",
    metadata,
    Column("statement_id", String(36), primary_key=True),
    Column("quarter", String(6), nullable=False, index=True),
    Column("bank_id", String(40), nullable=False),
    columns.county_code(nullable=False),
    Column("loans", Integer, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("paid_on", Date),
    Column("issued_at", DateTime(timezone=True)),  # recording instants (None: before l0006)
    Column("paid_at", DateTime(timezone=True)),
    UniqueConstraint("quarter", "bank_id", "county_code"),
)
