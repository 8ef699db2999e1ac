"""The dashboard's sign-in page (登录): how a viewer gets the token the dashboard sends.

Deployed with an OIDC client id (``TUOPIN_EVALUATION_AUTH__CLIENT_ID``), the page signs in
at the provider with the authorization code flow and PKCE (S256) as a public client: the
browser discovers the issuer's endpoints, checks the callback's state and the ID token's
nonce, and exchanges the code itself (oauth4webapi, vendored beside the dashboard). The
provider answers in the fragment (``response_mode=fragment``): the code never reaches
this service or its logs. Embedded (`make run`: development environment, no issuer), the
page offers a form instead that mints a development token for a chosen role and region
with the local key, through the kernel's ``development_token`` like `tuopin token`; any
sign of a deployment turns that off (404).

The token is kept in the tab's sessionStorage, where the dashboard reads it.
"""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuopin_contracts.reference.regions import gansu
from tuopin_evaluation.adapters.dashboard import IfNoneMatch, content_security_policy, serve
from tuopin_eventkit.security.auth import Role
from tuopin_eventkit.security.tokens import development_token, principal
from tuopin_eventkit.settings import deployed_because
from tuopin_eventkit.store.aggregate import NotFound
from tuopin_eventkit.web.http import Router
from tuopin_eventkit.web.runtime import Runtime, RuntimeDep

router = Router(tags=["sign-in"])

MINUTES = 480  # a working day, as `tuopin token` gives


class SignInConfig(BaseModel):
    """How the page signs in: ``oidc`` at ``issuer`` as ``client_id``; ``development``
    with the local form; ``none`` (deployed without a client id): it cannot."""

    mode: Literal["oidc", "development", "none"]
    issuer: str | None = None
    client_id: str | None = None
    scope: str | None = None


def _config(runtime: Runtime) -> SignInConfig:
    auth = runtime.settings.auth
    if not deployed_because(runtime.settings):
        return SignInConfig(mode="development")
    if auth.client_id and urlsplit(auth.issuer).scheme in ("https", "http"):
        return SignInConfig(
            mode="oidc", issuer=auth.issuer, client_id=auth.client_id, scope="openid"
        )
    return SignInConfig(mode="none")


@router.get(
    "/signin",
    response_class=Response,
    summary="The dashboard's sign-in page: OIDC (code + PKCE) when deployed, a "
    "development form in embedded mode",
    responses={200: {"content": {"text/html": {}}}},
)
async def signin_page(runtime: RuntimeDep, if_none_match: IfNoneMatch = None) -> Response:
    config = _config(runtime)
    # The page's script fetches the provider's discovery document and token endpoint.
    parts = urlsplit(config.issuer or "")
    connect = [f"{parts.scheme}://{parts.netloc}"] if config.issuer else []
    return serve("signin.html", if_none_match, content_security_policy(*connect))


@router.get("/signin/config", response_model=SignInConfig, summary="How the page signs in")
async def signin_config(runtime: RuntimeDep) -> SignInConfig:
    return _config(runtime)


# The roles that look at the dashboard by region (partners and evaluators have their own).
DashboardRole = Literal[
    "province_admin",
    "city_officer",
    "county_officer",
    "township_officer",
    "village_cadre",
    "auditor",
]
KNOWN = {r.code for r in gansu()}


class DevelopmentSignIn(BaseModel):
    """A development token's caller: a role and, for an officer, the region-code prefix of
    its level (62 the province, 6211 a city, 621121 a county, 9 or 12 digits below)."""

    model_config = ConfigDict(extra="forbid")

    role: DashboardRole
    region: Annotated[str | None, Field(max_length=12, pattern=r"^[0-9]+$")] = None
    subject: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")] = (
        "developer"
    )

    @model_validator(mode="after")
    def _a_real_scope(self) -> "DevelopmentSignIn":
        # The services' own checks of the claims, then the shared table for the levels it
        # holds (province, city, county): 6299 is shaped like a city but is none.
        principal({"sub": self.subject, "role": self.role, "region": self.region})
        if self.region and len(self.region) <= 6 and self.region.ljust(6, "0") not in KNOWN:
            raise ValueError(f"no region {self.region} in Gansu's region table")
        return self


class DevelopmentToken(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = MINUTES * 60
    role: str
    region: str | None


@router.post(
    "/signin/development",
    response_model=DevelopmentToken,
    summary="Development only: a token of the local key for a chosen role and region "
    "(embedded mode; 404 when deployed)",
)
async def development_signin(body: DevelopmentSignIn, runtime: RuntimeDep) -> DevelopmentToken:
    if deployed_because(runtime.settings):
        raise NotFound("development sign-in is off in a deployment: sign in at the provider")
    token = development_token(
        runtime.settings.auth, body.subject, Role(body.role), region=body.region, minutes=MINUTES
    )
    return DevelopmentToken(access_token=token, role=body.role, region=body.region)
