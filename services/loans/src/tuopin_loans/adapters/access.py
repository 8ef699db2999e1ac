"""Who may call what in loans: one rule per route (the kernel checks them all).

Banks read and post only their own loans; officers read their region's households,
quotas and village funds, and cadres keep their village's mutual-aid fund; the province
sets quotas, funds the risk funds and settles the subsidy; auditors read everything.
County-wide views (portfolio, risk funds, subsidy, mutual-aid funds) name their county in
``county_code``: without it they are the province's, so a city or county officer must
ask for their own county (403 for another, or for none).
"""

from tuopin_eventkit.security.auth import (
    Access,
    AccessRules,
    Role,
    Rule,
    Target,
    looked_up,
    org_of,
    region_of,
)
from tuopin_eventkit.web.lookups import kept_region
from tuopin_eventkit.web.runtime import Runtime
from tuopin_loans.application import borrower_households as registry
from tuopin_loans.domain.fund import fund_county

READ, WRITE, PROVINCE, PARTNER = Access.READ, Access.WRITE, Access.PROVINCE, Access.PARTNER


async def _fund(runtime: Runtime, fund_id: str) -> Target:
    """A county's risk fund is that county's; any other is the province's."""
    return Target(region=fund_county(fund_id))


bank = org_of(Role.BANK, path="bank_id")
posting_bank = org_of(Role.BANK, body="bank_id")  # the Kafka intake applies it too
homes = registry.borrower_households.c
household = kept_region(homes.village_code, homes.household_id, path="household_id")
fund = looked_up(_fund, path="fund_id")
village = region_of(path="village_code")
county = region_of(path="county_code")
county_listed = region_of(query="county_code")  # none named: province-wide

ACCESS: AccessRules = {
    "POST /v1/bank-postings": Rule(PARTNER, posting_bank),
    "GET /v1/banks/{bank_id}/loans": Rule(READ, bank),
    "GET /v1/banks/{bank_id}/loans/{loan_ref}": Rule(READ, bank),
    "GET /v1/banks/{bank_id}/loans/{loan_ref}/history": Rule(READ, bank),
    "GET /v1/borrowers/{household_id}/eligibility": Rule(READ, household),
    "PUT /v1/programme/quotas/{county_code}": Rule(PROVINCE),
    "GET /v1/programme/quotas/{county_code}": Rule(READ, county),
    "POST /v1/funds/{fund_id}/contributions": Rule(PROVINCE),
    "GET /v1/funds": Rule(READ, county_listed),
    "GET /v1/funds/{fund_id}": Rule(READ, fund),
    "GET /v1/funds/{fund_id}/history": Rule(READ, fund),
    "GET /v1/subsidy/{quarter}/preview": Rule(READ, county_listed),
    "POST /v1/subsidy/{quarter}/statements": Rule(PROVINCE),
    "GET /v1/subsidy/{quarter}/statements": Rule(READ, county_listed),
    "POST /v1/subsidy/statements/{statement_id}/payment": Rule(PROVINCE),
    "GET /v1/reports/portfolio": Rule(READ, county_listed),
    "GET /v1/reports/portfolio.csv": Rule(READ, county_listed),
    "POST /v1/villages/{village_code}/mutual-aid/contributions": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/mutual-aid/loans": Rule(WRITE, village),
    "GET /v1/villages/{village_code}/mutual-aid/loans": Rule(READ, village),
    "POST /v1/villages/{village_code}/mutual-aid/loans/{loan_id}/repayments": Rule(WRITE, village),
    "GET /v1/villages/{village_code}/mutual-aid": Rule(READ, village),
    "GET /v1/villages/{village_code}/mutual-aid/history": Rule(READ, village),
    "GET /v1/mutual-aid": Rule(READ, county_listed),
    "GET /v1/mutual-aid.csv": Rule(READ, county_listed),
}
