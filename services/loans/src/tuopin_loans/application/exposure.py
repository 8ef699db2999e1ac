"""What the loan book already holds against a limit: the microcredit committed against the
programme's ceiling and a county's quota (额度), what a household owes on a product (户均),
and a student's loans for a school year. Read in the deciding transaction, after the
append lock, so two approvals at once cannot both fit under one limit.
"""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from tuopin_contracts.vocabulary import LoanProduct
from tuopin_loans.application.book_tables import loans, quotas
from tuopin_loans.domain.loan import LoanState

L = loans.c


async def committed(conn: AsyncConnection, county_code: str | None = None) -> int:
    """Microcredit the programme has committed (approved or signed and not yet disbursed,
    plus what is outstanding): what counts against the ceiling and the county quotas."""
    undisbursed = L.amount - L.disbursed
    live = [LoanState.APPROVED, LoanState.SIGNED, LoanState.ACTIVE, LoanState.DEFAULTED]
    query = select(func.coalesce(func.sum(undisbursed + L.outstanding), 0)).where(
        L.product == LoanProduct.MICROCREDIT, L.state.in_(live)
    )
    if county_code is not None:
        query = query.where(L.county_code == county_code)
    return int((await conn.execute(query)).scalar_one())


async def household_outstanding(
    conn: AsyncConnection, household_id: str, product: LoanProduct
) -> int:
    """What a household already owes or has been promised on a product (the limit is on
    the household's total, 户均)."""
    live = [LoanState.APPROVED, LoanState.SIGNED, LoanState.ACTIVE, LoanState.DEFAULTED]
    query = select(func.coalesce(func.sum(L.amount - L.disbursed + L.outstanding), 0)).where(
        L.household_id == household_id, L.product == product, L.state.in_(live)
    )
    return int((await conn.execute(query)).scalar_one())


async def student_year_approved(conn: AsyncConnection, borrower_hash: str, year: int) -> int:
    """Student loans approved to one student (by any bank) for the school year starting in
    ``year``: the 8,000 yuan is per student and year, not per loan."""
    query = select(func.coalesce(func.sum(L.amount), 0)).where(
        L.borrower_hash == borrower_hash,
        L.product == LoanProduct.STUDENT,
        L.state != LoanState.REJECTED,
        L.academic_year == year,
    )
    return int((await conn.execute(query)).scalar_one())


async def quota(conn: AsyncConnection, county_code: str) -> int | None:
    query = select(quotas.c.amount).where(quotas.c.county_code == county_code)
    return (await conn.execute(query)).scalar()
