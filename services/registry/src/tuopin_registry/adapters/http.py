"""The registry's REST API: every POST takes an Idempotency-Key (a retry returns the first
answer) and changes take If-Match with the version they were decided on (stale: 409)."""

from tuopin_eventkit.web.http import Router
from tuopin_registry.adapters import households_api, people_api, reports_api, villages_api

router = Router()
for part in (households_api, villages_api, reports_api, people_api):
    router.include_router(part.router)
