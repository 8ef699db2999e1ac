"""The training service's REST API."""

from tuopin_eventkit.web.http import Router
from tuopin_training.adapters import education_api, office_api, postings_api, public_api

router = Router()
for part in (education_api, office_api, postings_api, public_api):
    router.include_router(part.router)
