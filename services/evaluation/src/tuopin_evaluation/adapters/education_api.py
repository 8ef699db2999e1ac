"""A household's 教育保障 (seed 四.9(1)): the education assistance its members received."""

from typing import Any
from uuid import UUID

from tuopin_contracts.dates import today
from tuopin_evaluation.adapters.views import HouseholdEducation
from tuopin_evaluation.application import education
from tuopin_eventkit.web.http import AsOf, KnownAt, Router
from tuopin_eventkit.web.runtime import RuntimeDep

router = Router(prefix="/v1", tags=["education assistance"])


@router.get(
    "/households/{household_id}/education",
    response_model=HouseholdEducation,
    summary="教育保障: 中职 grants and fees waived, per member and academic year",
)
async def household_education(
    household_id: UUID, runtime: RuntimeDep, as_of: AsOf = None, known_at: KnownAt = None
) -> dict[str, Any]:
    """Assistance decided by ``as_of`` (default today, Beijing), as recorded by
    ``known_at``; members by masked ID number; amounts in fen."""
    async with runtime.reader.connect() as conn:
        return await education.household(conn, str(household_id), as_of or today(), known_at)
