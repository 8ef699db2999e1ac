"""Who may call what in training: one rule per route (the kernel checks them all).

Centres post and read only their own records; officers read the coverage of their region
and its households; the province accredits centres and opens programmes; anyone verifies
a certificate; auditors read everything. A county's officers (its education bureau works
through the county's account) record education assistance for their county's students.

Accreditation (资质认定) and programmes are PROVINCE, not WRITE scoped by the centre's
county. The officers' roles are the poverty offices (扶贫办); accrediting a training
institution is a human-resources (人社) decision, and the free training of poor labour is
paid from employment funds the province allocates (seed 8(3)). A county-scoped WRITE would
also let the office that reports a county's certificate coverage choose who may issue
those certificates.
The kernel could scope it by county (``region_of("county_code")`` on the accreditation,
the centre's county looked up for renewal, withdrawal and programmes); moving to that is a
one-line change per rule if the province delegates accreditation to its counties.
"""

from tuopin_eventkit.security.auth import (
    Access,
    AccessRules,
    Role,
    Rule,
    Target,
    looked_up,
    org_of,
    public,
)
from tuopin_eventkit.security.auth import region_of as region
from tuopin_eventkit.web.lookups import kept_region
from tuopin_eventkit.web.runtime import Runtime
from tuopin_training.application import queries
from tuopin_training.application.trainee_households import trainee_households

READ, WRITE, PROVINCE, PARTNER = Access.READ, Access.WRITE, Access.PROVINCE, Access.PARTNER


async def _programme_centre(runtime: Runtime, programme_id: str) -> Target | None:
    async with runtime.reader.connect() as conn:
        centre_id = await queries.programme_centre(conn, programme_id)
    return Target(org=centre_id, org_role=Role.TRAINING_CENTRE) if centre_id else None


centre = org_of(Role.TRAINING_CENTRE, path="centre_id")
posting_centre = org_of(Role.TRAINING_CENTRE, body="centre_id")  # the Kafka intake's too
programme = looked_up(_programme_centre, path="programme_id", org_role=Role.TRAINING_CENTRE)
homes = trainee_households.c
household = kept_region(homes.village_code, homes.household_id, path="household_id")
# Listings name the region they cover in the query; none named: province-wide.
county_listed, code = region(query="county_code"), region(query="code")
within = region(query="region")
# County-level and above (a township's or village's code does not contain the county's).
deciding_county = region(body="county_code")  # "62": the province's own officers and auditors

ACCESS: AccessRules = {
    "POST /v1/centre-postings": Rule(PARTNER, posting_centre),
    # The deciding county names itself; the handler refuses a student of another county.
    "POST /v1/education-assistance": Rule(WRITE, deciding_county),
    "POST /v1/centres": Rule(PROVINCE),
    "POST /v1/centres/{centre_id}/accreditations": Rule(PROVINCE),
    "POST /v1/centres/{centre_id}/withdrawal": Rule(PROVINCE),
    "GET /v1/centres": Rule(READ, county_listed),
    "GET /v1/centres/{centre_id}": Rule(READ, centre),
    "GET /v1/centres/{centre_id}/history": Rule(READ, centre),
    "POST /v1/programmes": Rule(PROVINCE),
    "GET /v1/programmes/{programme_id}": Rule(READ, programme),
    "GET /v1/certificates/{issuer}/{number}": public(),  # 证书查询: holder masked
    "GET /v1/coverage": Rule(READ, code),
    "GET /v1/households/{household_id}": Rule(READ, household),
    "GET /v1/work-list": Rule(READ, code),
    "GET /v1/work-list.csv": Rule(READ, code),
    "GET /v1/labour-transfer": Rule(READ, within),
    "GET /v1/labour-transfer.csv": Rule(READ, within),
    # The seed's yearly targets are the province's: counted province-wide, no region.
    "GET /v1/yearly/{year}": Rule(READ),
}
