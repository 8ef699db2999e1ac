"""Who may call what in loans: one rule per route (the kernel checks them all).

Banks read and post only their own loans; officers read their region's households,
quotas and village funds, and cadres keep their village's mutual-aid fund; the province
sets quotas, funds the risk funds and settles the subsidy; auditors read everything.
"""

from tuopin_eventkit.auth import (
    Access,
    Call,
    Policy,
    Resolver,
    Role,
    Rule,
    Target,
    looked_up,
    org_of,
    region_of,
)  # fmt: skip
from tuopin_eventkit.service import Runtime
from tuopin_loans.application import borrower_households as registry

READ, WRITE, PROVINCE, PARTNER = Access.READ, Access.WRITE, Access.PROVINCE, Access.PARTNER


async def _household(runtime: Runtime, household_id: str) -> Target | None:
    async with runtime.reader.connect() as conn:
        home = await registry.household(conn, household_id)
    return Target(region=str(home["village_code"])) if home else None


async def _fund(call: Call) -> Target:
    fund = str(call.path.get("fund_id", ""))
    return Target(region=fund.removeprefix("county-")) if fund.startswith("county-") else Target()


bank = org_of("bank_id", Role.BANK)
household = looked_up("household_id", _household)
fund = Resolver(_fund, "region")
village, county = region_of("village_code"), region_of("county_code")

POLICY: Policy = {
    "POST /v1/bank-postings": Rule(PARTNER, bank),
    "GET /v1/banks/{bank_id}/loans": Rule(READ, bank),
    "GET /v1/banks/{bank_id}/loans/{loan_ref}": Rule(READ, bank),
    "GET /v1/banks/{bank_id}/loans/{loan_ref}/history": Rule(READ, bank),
    "GET /v1/borrowers/{household_id}/eligibility": Rule(READ, household),
    "PUT /v1/programme/quotas/{county_code}": Rule(PROVINCE),
    "GET /v1/programme/quotas/{county_code}": Rule(READ, county),
    "POST /v1/funds/{fund_id}/contributions": Rule(PROVINCE),
    "GET /v1/funds": Rule(READ),
    "GET /v1/funds/{fund_id}": Rule(READ, fund),
    "GET /v1/funds/{fund_id}/history": Rule(READ, fund),
    "GET /v1/subsidy/{quarter}/preview": Rule(READ),
    "POST /v1/subsidy/{quarter}/statements": Rule(PROVINCE),
    "GET /v1/subsidy/{quarter}/statements": Rule(READ),
    "POST /v1/subsidy/statements/{statement_id}/payment": Rule(PROVINCE),
    "GET /v1/reports/portfolio": Rule(READ),
    "GET /v1/reports/portfolio.csv": Rule(READ),
    "POST /v1/villages/{village_code}/mutual-aid/contributions": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/mutual-aid/loans": Rule(WRITE, village),
    "GET /v1/villages/{village_code}/mutual-aid/loans": Rule(READ, village),
    "POST /v1/villages/{village_code}/mutual-aid/loans/{loan_id}/repayments": Rule(WRITE, village),
    "GET /v1/villages/{village_code}/mutual-aid": Rule(READ, village),
    "GET /v1/villages/{village_code}/mutual-aid/history": Rule(READ, village),
    "GET /v1/mutual-aid": Rule(READ, county),
    "GET /v1/mutual-aid.csv": Rule(READ, county),
}
