"""The training service's REST API."""

from fastapi import APIRouter

from tuopin_training.adapters import office_api, postings_api, public_api

router = APIRouter()
for part in (office_api, postings_api, public_api):
    router.include_router(part.router)
