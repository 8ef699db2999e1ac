"""The authorization matrix of training: every route × every role × a caller inside and
one outside the scope the request touches, and no token, over HTTP against a seeded
service (a centre, its programme, a household known from the registry's events), so the
rules are checked as wired, read-model lookups included."""

from datetime import date

from tuopin_eventkit.matrix import Matrix, Scope
from tuopin_eventkit.security.auth import Principal, Role
from tuopin_eventkit.security.tokens import AuthSettings
from tuopin_eventkit.testing import bearer
from tuopin_training.entrypoints.app import spec
from tuopin_training.examples import grant

VILLAGE = "621121100201"
COUNTY = VILLAGE[:6]


async def test_every_route_answers_each_role_inside_and_outside_its_scope(service, kit) -> None:
    home = kit.Home(VILLAGE, [date(1985, 5, 17)])
    far = kit.Home("620121100201", [date(1985, 5, 17)])  # another city
    async with service([home, far]) as client:
        office = await kit.Office(client).setup()
        other = await kit.Office(client).setup()  # another centre, with its programme
        centre = office.centre_id
        path = {
            "centre_id": centre,
            "programme_id": office.programme_id,
            "household_id": str(home.id),
            "issuer": centre,
            "number": "C-404",
            "year": "2016",
        }
        # ``code`` scopes coverage and the work list (a village), ``county_code`` the list
        # of centres; each route reads only its own.
        query = {"code": VILLAGE, "county_code": COUNTY, "region": VILLAGE, "year": "2016"}
        # The posting's rule reads the centre from the body; the province's writes are
        # unscoped, their bodies only need to exist (a 422 is still "allowed").
        bodies = {
            "POST /v1/centre-postings": {"centre_id": centre, "kind": "completion"},
            "POST /v1/centres": {},
            "POST /v1/programmes": {"centre_id": centre},
            "POST /v1/centres/{centre_id}/accreditations": {},
            "POST /v1/centres/{centre_id}/withdrawal": {},
            # Valid in shape (a township's 422 would hide its 403), for nobody registered.
            "POST /v1/education-assistance": grant(COUNTY, "110101199003078515"),
        }
        head = (await client.get("/v1/events")).json()["head"]
        scope = Scope(village=VILLAGE, orgs={Role.TRAINING_CENTRE: centre})
        # Centres are listed, and education assistance decided, by county.
        digits = {"GET /v1/centres": 6, "POST /v1/education-assistance": 6}
        matrix = Matrix(client, AuthSettings(), spec.access, scope, path, query, digits)
        calls = await matrix.walk(bodies)
        assert calls == len(spec.access) * (1 + 2 * len(Role))
        # The walk derives "inside" from each rule's own scope kind, so a rule made
        # province-only by mistake would pass it: what each scope is for, pinned here.
        county = Principal("c", Role.COUNTY_OFFICER, region=COUNTY)
        township = Principal("t", Role.TOWNSHIP_OFFICER, region=VILLAGE[:9])
        cadre = Principal("v", Role.VILLAGE_CADRE, region=VILLAGE)
        evaluator = Principal("e", Role.EVALUATOR, counties=frozenset({COUNTY}))
        own = Principal("k", Role.TRAINING_CENTRE, org=centre)
        for who, url, params in [
            (county, "/v1/coverage", {"code": COUNTY}),
            (county, "/v1/centres", {"county_code": COUNTY}),
            (township, "/v1/work-list", {"code": VILLAGE}),
            (cadre, f"/v1/households/{home.id}", {}),
            (evaluator, "/v1/work-list.csv", {"code": COUNTY}),
            (own, f"/v1/centres/{centre}", {}),
            (own, f"/v1/programmes/{office.programme_id}", {}),
        ]:
            answer = await client.get(url, params=params, headers=bearer(AuthSettings(), who))
            assert answer.status_code == 200, (who.role, url, answer.text)
        # Nothing was written: refused calls never run, allowed writes lacked their fields.
        assert (await client.get("/v1/events")).json()["head"] == head
        # A valid posting now, aimed at another centre (or with a parameter the route
        # does not declare): only the scope stands between it and the handler.
        await matrix.disagree(
            {
                "POST /v1/centre-postings": office.enrolment("E-1", home.numbers[0]),
                "POST /v1/education-assistance": grant(COUNTY, home.numbers[0]),
            },
            elsewhere={
                "centre_id": other.centre_id,
                "programme_id": other.programme_id,
                "household_id": str(far.id),
            },
        )
        assert (await client.get("/v1/events")).json()["head"] == head


async def test_a_centre_naming_itself_in_the_query_never_posts_for_another(service, kit) -> None:
    """Issue 12, training's attack: the check read ?centre_id= (the caller's own) and the
    handler recorded the body's posting at another centre (201)."""
    home = kit.Home(VILLAGE, [date(1985, 5, 17)])
    async with service([home]) as client:
        office = await kit.Office(client).setup()
        intruder = await kit.Office(client).setup()
        head = (await client.get("/v1/events")).json()["head"]
        enrolment = office.enrolment("E-1", home.numbers[0])  # at the office's centre
        token = kit.centre_token(intruder.centre_id)
        headers = {"Idempotency-Key": "E-1", "Authorization": token}
        attack = await client.post(
            "/v1/centre-postings",
            params={"centre_id": intruder.centre_id},
            json=enrolment,
            headers=headers,
        )
        assert attack.status_code == 422, attack.text
        assert attack.json()["errors"][0]["loc"] == ["query", "centre_id"]
        refused = await office.post(enrolment, "E-1", token=token)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            f"a training_centre of {intruder.centre_id} may not POST /v1/centre-postings "
            f"for training_centre {office.centre_id}"
        )
        assert (await client.get("/v1/events")).json()["head"] == head  # nothing recorded
        assert (await office.post(enrolment, "E-1")).status_code == 201  # the centre itself
