"""Tokens: what verifies and what does not, locally and against an OIDC provider's JWKS;
and the policy's table of who may do what."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr

from tuopin_eventkit.security.auth import Access, Principal, Role, Target, Unauthenticated, permits
from tuopin_eventkit.security.tokens import AuthSettings, Verifier, development_token, mint

LOCAL = AuthSettings()


def test_a_local_token_verifies_with_its_claims() -> None:
    token = mint(LOCAL, "wang", Role.COUNTY_OFFICER, region="621121")
    assert Verifier(LOCAL).verify(token) == Principal("wang", Role.COUNTY_OFFICER, region="621121")


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    """The verifier answers a token it checked from memory, but never past its expiry."""
    settings = AuthSettings(leeway_seconds=0)
    verifier = Verifier(settings)
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": settings.issuer, "aud": settings.audience, "sub": "li", "iat": now}
    token = jwt.encode(
        {**claims, "role": "auditor", "exp": now + 2},
        settings.signing_key.get_secret_value(),
        "HS256",
    )
    assert verifier.verify(token).subject == "li"
    assert verifier.verify(token).subject == "li"  # remembered
    time.sleep(now + 2.1 - time.time())
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda: mint(LOCAL, "wang", Role.COUNTY_OFFICER, region="621121", minutes=-5),  # expired
        lambda: mint(AuthSettings(signing_key=SecretStr("x" * 40)), "wang", Role.AUDITOR),  # key
        lambda: mint(AuthSettings(audience="other"), "wang", Role.AUDITOR),  # audience
        lambda: mint(AuthSettings(issuer="other"), "wang", Role.AUDITOR),  # issuer
        lambda: mint(LOCAL, "wang", Role.COUNTY_OFFICER, region="62"),  # a county needs 6 digits
        lambda: mint(LOCAL, "rcc", Role.BANK),  # a bank names itself
        lambda: "not-a-token",
    ],
)
def test_tokens_that_must_not_verify(tamper) -> None:
    with pytest.raises(Unauthenticated):
        Verifier(LOCAL).verify(tamper())


@pytest.fixture
def oidc() -> Iterator[tuple[AuthSettings, rsa.RSAPrivateKey]]:
    """An OIDC provider's JWKS endpoint on loopback, with one RSA signing key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    yield AuthSettings(issuer="https://sso.gansu.gov.cn", audience="tuopin", jwks_url=url), key
    server.shutdown()


def signed(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = datetime.now(UTC)
    base = {
        "iss": "https://sso.gansu.gov.cn",
        "aud": "tuopin",
        "sub": "li",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "auditor",
    }
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "k1"})


def test_deployment_tokens_verify_against_the_providers_jwks(oidc) -> None:
    settings, key = oidc
    assert Verifier(settings).verify(signed(key)).role == Role.AUDITOR
    with pytest.raises(Unauthenticated):  # the embedded key is not trusted any more
        Verifier(settings).verify(mint(LOCAL, "li", Role.AUDITOR))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated):
        Verifier(settings).verify(signed(other))
    with pytest.raises(Unauthenticated):
        Verifier(settings).verify(signed(key, aud="someone-else"))


VILLAGE = Target(region="621121100201")
RCC, ABC = Target(org="rcc", org_role=Role.BANK), Target(org="abc", org_role=Role.BANK)
CENTRE_RCC = Target(org="rcc", org_role=Role.TRAINING_CENTRE)
ADMIN = Principal("a", Role.PROVINCE_ADMIN, region="62")
BANK = Principal("b", Role.BANK, org="rcc")
HERE, THERE = frozenset({"621121"}), frozenset({"621122"})


@pytest.mark.parametrize(
    ("who", "access", "target", "allowed"),
    [
        (ADMIN, Access.WRITE, VILLAGE, True),
        (ADMIN, Access.PARTNER, RCC, False),
        (Principal("c", Role.COUNTY_OFFICER, region="621121"), Access.WRITE, VILLAGE, True),
        (Principal("c", Role.COUNTY_OFFICER, region="621122"), Access.WRITE, VILLAGE, False),
        (Principal("c", Role.COUNTY_OFFICER, region="621121"), Access.PROVINCE, VILLAGE, False),
        (Principal("c", Role.COUNTY_OFFICER, region="621121"), Access.READ, Target(), False),
        (Principal("v", Role.VILLAGE_CADRE, region="621121100201"), Access.WRITE, VILLAGE, True),
        (Principal("v", Role.VILLAGE_CADRE, region="621121100202"), Access.READ, VILLAGE, False),
        (BANK, Access.PARTNER, RCC, True),
        (BANK, Access.PARTNER, ABC, False),
        (BANK, Access.PARTNER, CENTRE_RCC, False),
        (BANK, Access.READ, VILLAGE, False),
        (Principal("e", Role.EVALUATOR, counties=HERE), Access.ASSESS, VILLAGE, True),
        (Principal("e", Role.EVALUATOR, counties=HERE), Access.WRITE, VILLAGE, False),
        (Principal("e", Role.EVALUATOR, counties=THERE), Access.READ, VILLAGE, False),
        (Principal("u", Role.AUDITOR), Access.READ, VILLAGE, True),
        (Principal("u", Role.AUDITOR), Access.WRITE, VILLAGE, False),
        (Principal("u", Role.AUDITOR), Access.PUBLIC, Target(), True),
    ],
)
def test_who_may_do_what(who, access, target, allowed) -> None:
    assert permits(who, access, target) is allowed


def local(**claims: object) -> str:
    """A token signed with the local key, with these claims over an auditor's."""
    now = datetime.now(UTC)
    base = {"iss": LOCAL.issuer, "aud": LOCAL.audience, "sub": "li", "role": "auditor"}
    base |= {"iat": now, "exp": now + timedelta(minutes=5)}
    token = {k: v for k, v in {**base, **claims}.items() if v is not None}
    return jwt.encode(token, LOCAL.signing_key.get_secret_value(), algorithm="HS256")


COUNTY_OFFICER = {"role": "county_officer"}
EVALUATOR = {"role": "evaluator"}


@pytest.mark.parametrize(
    "claims",
    [
        {**COUNTY_OFFICER, "region": ["621121"]},  # a list, not a string (was a 500)
        {**COUNTY_OFFICER, "region": 621121},
        {**COUNTY_OFFICER, "region": "620000"},  # the province, padded to a county's length
        {**COUNTY_OFFICER, "region": "621100"},  # a city, padded
        {"role": "city_officer", "region": "6200"},
        {"role": "village_cadre", "region": "621121100000"},
        {**EVALUATOR, "counties": [""]},  # read province-wide before
        {**EVALUATOR, "counties": ["620000"]},  # likewise
        {**EVALUATOR, "counties": []},
        {**EVALUATOR, "counties": "621121"},
        {**EVALUATOR, "counties": ["6211"]},
        {**EVALUATOR, "counties": ["621121"], "region": "621121"},  # not an evaluator's claim
        {"role": "bank"},  # a bank names itself
        {"role": "bank", "org": ["gansu-rcc"]},
        {"role": "bank", "org": "gansu rcc"},
        {"role": "bank", "org": "gansu-rcc", "region": "621121"},
        {"role": "auditor", "region": "62"},  # an auditor has no scope to name
        {"role": "province_admin"},
        {"role": ["auditor"]},
        {"role": "mayor"},
        {"sub": 42},
    ],
)
def test_claims_out_of_shape_do_not_verify(claims) -> None:
    with pytest.raises(Unauthenticated):
        Verifier(LOCAL).verify(local(**claims))


def test_each_role_with_its_own_claims_verifies() -> None:
    verify = Verifier(LOCAL).verify
    assert verify(local(role="province_admin", region="62")).region == "62"
    assert verify(local(role="village_cadre", region="621121100201")).region == "621121100201"
    assert verify(local(role="bank", org="gansu-rcc")).org == "gansu-rcc"
    counties = ["621121", "621122"]
    assert verify(local(**EVALUATOR, counties=counties)).counties == set(counties)
    assert verify(local()) == Principal("li", Role.AUDITOR)


def test_a_token_living_longer_than_the_maximum_does_not_verify() -> None:
    now = datetime.now(UTC)
    eighty_years = local(exp=now + timedelta(days=80 * 365))
    with pytest.raises(Unauthenticated, match="longer than 720 minutes"):
        Verifier(LOCAL).verify(eighty_years)
    # Without iat, the lifetime left counts.
    with pytest.raises(Unauthenticated):
        Verifier(LOCAL).verify(local(iat=None, exp=now + timedelta(hours=13)))
    assert Verifier(LOCAL).verify(local(iat=None, exp=now + timedelta(hours=11)))
    # Issued long ago, for long: refused even while it has little time left.
    with pytest.raises(Unauthenticated):
        Verifier(LOCAL).verify(local(iat=now - timedelta(days=30), exp=now + timedelta(hours=1)))
    # Exactly the maximum verifies; the maximum is configurable.
    assert Verifier(LOCAL).verify(mint(LOCAL, "li", Role.AUDITOR, minutes=720))
    short = AuthSettings(max_lifetime_minutes=60)
    with pytest.raises(Unauthenticated):
        Verifier(short).verify(mint(LOCAL, "li", Role.AUDITOR, minutes=61))


def test_mint_refuses_a_lifetime_the_services_would_refuse() -> None:
    with pytest.raises(ValueError, match="at most 720 minutes"):
        mint(LOCAL, "li", Role.AUDITOR, minutes=721)


def test_a_development_token_is_minted_only_for_a_caller_the_services_accept() -> None:
    token = development_token(LOCAL, "wang", Role.COUNTY_OFFICER, region="621121")
    assert Verifier(LOCAL).verify(token) == Principal("wang", Role.COUNTY_OFFICER, region="621121")
    for role, region in [(Role.COUNTY_OFFICER, "62"), (Role.AUDITOR, "62"), (Role.BANK, None)]:
        with pytest.raises(ValueError):
            development_token(LOCAL, "wang", role, region=region)
