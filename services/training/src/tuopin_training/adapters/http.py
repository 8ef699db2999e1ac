"""The training service's REST API."""

from uuid import UUID

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from tuopin_eventkit.service import RuntimeDep
from tuopin_training.application.trainee_households import household

router = APIRouter(prefix="/v1", tags=["households"])


class TraineeHousehold(BaseModel):
    """A registered household whose members may enrol in free training for poor labour."""

    household_id: UUID
    village_code: str
    members: int


@router.get(
    "/households/{household_id}",
    response_model=TraineeHousehold,
    summary="A registered household known to training",
)
async def trainee_household(household_id: UUID, runtime: RuntimeDep) -> dict[str, object]:
    async with runtime.reader.connect() as conn:
        found = await household(conn, str(household_id))
    if found is None:
        raise HTTPException(404, f"household {household_id} is not registered (未建档立卡)")
    return found
