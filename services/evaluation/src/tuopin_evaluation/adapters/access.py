"""Who may call what in evaluation: one rule per route (the kernel checks them all).

Officers read the figures of their own region (asking with an explicit ``region`` inside
theirs; the province-wide default is the province's); evaluators draw samples and record
findings for the counties assigned to them and read what they need there; the province
records county standings and publishes assessment results; published results and the
dashboard's page (not its data) are public (公开考核和验收结果). A county's officers see and
work the return warnings of their own county's households only.
"""

from sqlalchemy import select

from tuopin_evaluation.application.assessments import frames
from tuopin_evaluation.application.facts import households
from tuopin_evaluation.application.return_watch import warnings
from tuopin_eventkit.security.auth import (
    Access,
    AccessRules,
    Rule,
    Target,
    looked_up,
    public,
    region_of,
)
from tuopin_eventkit.web.lookups import kept_region
from tuopin_eventkit.web.runtime import Runtime

READ, WRITE, ASSESS, PROVINCE = Access.READ, Access.WRITE, Access.ASSESS, Access.PROVINCE


async def _warning(runtime: Runtime, warning_id: str) -> Target | None:
    query = (
        select(households.c.village_code)
        .select_from(
            warnings.join(households, households.c.household_id == warnings.c.household_id)
        )
        .where(warnings.c.warning_id == warning_id)
    )
    async with runtime.reader.connect() as conn:
        village = (await conn.execute(query)).scalar()
    return Target(region=village) if village else None


region = region_of(query="region")  # none named: province-wide
household = kept_region(households.c.village_code, households.c.household_id, path="household_id")
assessment = kept_region(frames.c.county_code, frames.c.assessment_id, path="assessment_id")
warning = looked_up(_warning, path="warning_id")

ACCESS: AccessRules = {
    # The pages and their files, served from memory: an office behind one address opens
    # the dashboard many times a minute without meeting the public rate limit.
    "GET /dashboard": public(rate_limited=False),
    "GET /dashboard/{name}": public(rate_limited=False),
    # Where the page fetches the loans figures: any signed-in viewer.
    "GET /dashboard/config": Rule(Access.SIGNED_IN),
    # Signing in is for those not signed in yet; the development form is off when deployed.
    "GET /signin": public(rate_limited=False),
    "GET /signin/config": public(rate_limited=False),
    "POST /signin/development": public(),
    "GET /v1/stats": Rule(READ),
    "GET /v1/rollups": Rule(READ, region),
    "GET /v1/rollups.csv": Rule(READ, region),
    "GET /v1/rollups/belts": Rule(READ, region),
    "GET /v1/income-distribution": Rule(READ, region),
    "GET /v1/targets": Rule(READ, region),
    "GET /v1/return-warnings": Rule(READ, region),
    "POST /v1/return-warnings/{warning_id}/acknowledgement": Rule(WRITE, warning),
    "POST /v1/return-warnings/{warning_id}/closure": Rule(WRITE, warning),
    "GET /v1/households/{household_id}/exit-verdict": Rule(READ, household),
    "GET /v1/households/{household_id}/education": Rule(READ, household),
    "GET /v1/villages/{village_code}/exit-eligibility": Rule(READ, region_of(path="village_code")),
    "GET /v1/counties/{county}/delisting": Rule(READ, region_of(path="county")),
    "POST /v1/counties/{county}/delisting": Rule(PROVINCE),
    "GET /v1/counties/{county}/signals": Rule(READ, region_of(path="county")),
    "POST /v1/assessments": Rule(ASSESS, region_of(body="county_code")),
    "GET /v1/assessments": public(),
    "GET /v1/assessments/{assessment_id}": Rule(READ, assessment),
    "GET /v1/assessments/{assessment_id}/history": Rule(READ, assessment),
    "POST /v1/assessments/{assessment_id}/findings": Rule(ASSESS, assessment),
    "POST /v1/assessments/{assessment_id}/survey": Rule(ASSESS, assessment),
    "POST /v1/assessments/{assessment_id}/publication": Rule(PROVINCE),
}
