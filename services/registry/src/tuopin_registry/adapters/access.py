"""Who may call what in the registry: one rule per route (the kernel checks them all).

Officers and cadres file and change the households and villages of their own region and
read it; a household's region is its village, found in the registry's own household
index; the province alone imports whole exports; auditors read everything, history
included; the public notice (公告公示) is open to all, with personal data masked.
"""

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
from tuopin_registry.application import people
from tuopin_registry.application.household_file import read_file
from tuopin_registry.application.household_index import households

READ, WRITE, PROVINCE = Access.READ, Access.WRITE, Access.PROVINCE


async def _file_of(runtime: Runtime, household_id: str) -> Target | None:
    """The household's village, read with the file itself: the route answers from the
    same read (``http.found``)."""
    async with runtime.reader.connect() as conn:
        file = await read_file(conn, household_id)
    if file is None or file.village_code is None:
        return None
    return Target(region=file.village_code, found=file)


# A household's village, from the index kept in the appending transaction (so a household
# is in scope from the moment it is filed).
household = kept_region(households.c.village_code, households.c.household_id, path="household_id")
household_file = looked_up(_file_of, path="household_id")
village = region_of(path="village_code")  # the village routes
filed_in = region_of(body="village_code")  # a filing names its village in the body
# Lists and counts name the region they cover (620000, 621100, 621121, …) in ``region``.
# Without it they cover the whole province, so a regional officer who leaves it out (or
# names a region above or beside theirs) gets 403: they must ask for their own region.
listing = region_of(query="region")


async def _county_of_person(runtime: Runtime, person_id: str) -> Target | None:
    """A person's county (their household's village, cut to six digits): an unmasked
    identity is scoped no finer than the county office that keeps the file."""
    async with runtime.reader.connect() as conn:
        found = await people.person(conn, person_id)
    return Target(region=found.village_code[:6]) if found else None


person_county = looked_up(_county_of_person, path="person_id")

ACCESS: AccessRules = {
    # Filing names its village in the body: an officer files only into their region.
    "POST /v1/households": Rule(WRITE, filed_in),
    "GET /v1/households": Rule(READ, listing),
    "GET /v1/households/{household_id}": Rule(READ, household_file),
    # Auditors and evaluators reconstruct who changed what: READ, like the file.
    "GET /v1/households/{household_id}/history": Rule(READ, household),
    "POST /v1/households/{household_id}/members": Rule(WRITE, household),
    "POST /v1/households/{household_id}/members/{item_id}/removal": Rule(WRITE, household),
    "POST /v1/households/{household_id}/members/{item_id}/changes": Rule(WRITE, household),
    "POST /v1/households/{household_id}/members/{item_id}/identity-correction": Rule(
        WRITE, household
    ),
    "POST /v1/households/{household_id}/causes": Rule(WRITE, household),
    "POST /v1/households/{household_id}/incomes": Rule(WRITE, household),
    # Corrections (更正) are the same office's act, recorded with reason and actor.
    "POST /v1/households/{household_id}/income-corrections": Rule(WRITE, household),
    "POST /v1/households/{household_id}/conditions": Rule(WRITE, household),
    "POST /v1/households/{household_id}/needs": Rule(WRITE, household),
    "POST /v1/households/{household_id}/measures": Rule(WRITE, household),
    "POST /v1/households/{household_id}/measures/{item_id}/progress": Rule(WRITE, household),
    "POST /v1/households/{household_id}/responsibility": Rule(WRITE, household),
    "POST /v1/households/{household_id}/relocation": Rule(WRITE, household),
    "POST /v1/households/{household_id}/cooperative": Rule(WRITE, household),
    # The lifecycle (有进有出) is decided by the officers of the household's region; the
    # exit itself is evaluation's verdict, which arrives through Kafka, not over HTTP.
    "POST /v1/households/{household_id}/assistance": Rule(WRITE, household),
    "POST /v1/households/{household_id}/exit-proposal": Rule(WRITE, household),
    "POST /v1/households/{household_id}/exit-notice": Rule(WRITE, household),
    "POST /v1/households/{household_id}/return-to-poverty": Rule(WRITE, household),
    "POST /v1/households/{household_id}/exit-annulment": Rule(WRITE, household),
    "POST /v1/households/{household_id}/removal": Rule(WRITE, household),
    # Registering a village names it in the body.
    "POST /v1/villages": Rule(WRITE, filed_in),
    "GET /v1/villages": Rule(READ, listing),
    "GET /v1/villages/{village_code}": Rule(READ, village),
    "GET /v1/villages/{village_code}/history": Rule(READ, village),
    "POST /v1/villages/{village_code}/responsibility": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/profile": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/conditions": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/needs": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/measures": Rule(WRITE, village),
    "POST /v1/villages/{village_code}/measures/{item_id}/progress": Rule(WRITE, village),
    # 公告公示: the notice is meant for everyone; it shows names and masked ID numbers only.
    "GET /v1/villages/{village_code}/public-notice": public(),
    "GET /v1/summary": Rule(READ, listing),
    "GET /v1/reports/without-responsible": Rule(READ, listing),
    # Reference regions (GB/T 2260 names and the published 2016 poor-county list) hold
    # nothing confidential: any signed-in caller reads them (not PUBLIC — only notices
    # and certificate checks go without a token).
    "GET /v1/regions/{code}": Rule(Access.SIGNED_IN),
    "GET /v1/hardship-belts": Rule(Access.SIGNED_IN),
    "GET /v1/hardship-belts/{code}": Rule(Access.SIGNED_IN),
    # An import file names households of many villages (and the upload says nothing about
    # which county it is for: there is no form field to scope by), so importing is the
    # province's act. Its totals and error report (file numbers, row messages) are read
    # unscoped: the province and auditors.
    "POST /v1/imports": Rule(PROVINCE),
    "GET /v1/imports/{import_id}": Rule(READ),
    "GET /v1/imports/{import_id}/errors.csv": Rule(READ),
    # The clear resident ID number (every other answer masks it): for the officers who keep
    # the file and must verify a person with the police, civil affairs or a bank — the
    # county office of the person's county, the city above it and the province. WRITE
    # access (officers only, never auditors, evaluators or partners) at county precision,
    # so township officers and village cadres, whose work needs only the masked form, are
    # outside. The kernel logs the read; the route records it in identity_reads too.
    "GET /v1/people/{person_id}/identity": Rule(WRITE, person_county, sees_personal_data=True),
    # Erasure destroys the person's key for good: the province's decision alone.
    "POST /v1/people/{person_id}/erasure": Rule(PROVINCE),
}
