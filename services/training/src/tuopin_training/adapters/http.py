"""The training service's REST API."""

from tuopin_eventkit.http import Router
from tuopin_training.adapters import office_api, postings_api, public_api

router = Router()
for part in (office_api, postings_api, public_api):
    router.include_router(part.router)
