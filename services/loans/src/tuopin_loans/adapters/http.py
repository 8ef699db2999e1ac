"""The loans service's REST API."""

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from tuopin_eventkit.service import RuntimeDep
from tuopin_loans.application.borrower_households import eligibility

router = APIRouter(prefix="/v1", tags=["eligibility"])


class Eligibility(BaseModel):
    household_id: UUID
    eligible: bool
    county_code: str | None = None
    reasons: list[str]


@router.get(
    "/borrowers/{household_id}/eligibility",
    response_model=Eligibility,
    summary="May this household borrow poverty microcredit?",
)
async def borrower_eligibility(household_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    async with runtime.reader.connect() as conn:
        return await eligibility(conn, str(household_id))
