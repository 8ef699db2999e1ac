"""A small OIDC provider for the sign-in tests: a real HTTP server on loopback speaking
the protocol the dashboard's sign-in page uses — discovery, the authorization endpoint
(it signs the one configured user in at once and redirects back with the code in the
fragment), the token endpoint (PKCE S256 checked, one use per code) and the JWKS the
services verify the access token with. What it was asked is kept for the test to read."""

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

REALM = "/realms/tuopin"
CLIENT_ID = "tuopin-dashboard"
AUDIENCE = "tuopin"


@dataclass
class Provider:
    base: str
    user: dict[str, Any]  # the access token's own claims: sub, role, region
    redirect_uri: str = ""  # the one registered for the client, set by the test
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> its request
    authorized: list[dict[str, str]] = field(default_factory=list)
    exchanged: list[dict[str, str]] = field(default_factory=list)  # token requests granted
    refused: list[str] = field(default_factory=list)
    forged_nonce: str | None = None  # set: the ID token carries this nonce, not the one asked

    client_id: str = CLIENT_ID  # the dashboard's, a public client

    @property
    def issuer(self) -> str:
        return self.base + REALM

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/certs"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/auth",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.jwks_url,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "authorization_response_iss_parameter_supported": True,
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> str:
        """Where the browser goes next: back to the client with a code, or an error."""
        wanted = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "code_challenge_method": "S256",
            "response_mode": "fragment",
        }
        if query.get("redirect_uri") != self.redirect_uri:
            raise ValueError(f"unregistered redirect_uri {query.get('redirect_uri')}")
        self.authorized.append(query)
        wrong = [k for k, v in wanted.items() if query.get(k) != v]
        if wrong or "openid" not in query.get("scope", "").split() or not query.get("nonce"):
            answer = {"error": "invalid_request", "error_description": f"bad {wrong}"}
        else:
            code = secrets.token_urlsafe(24)
            self.pending[code] = query
            answer = {"code": code}
        answer |= {"state": query.get("state", ""), "iss": self.issuer}
        return f"{self.redirect_uri}#{urlencode(answer)}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        asked = self.pending.pop(form.get("code", ""), None)  # a code works once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        checks = {
            "grant_type": form.get("grant_type") == "authorization_code",
            "code": asked is not None,
            "client_id": asked is not None and form.get("client_id") == asked["client_id"],
            "redirect_uri": asked is not None and form.get("redirect_uri") == self.redirect_uri,
            "code_verifier": asked is not None
            and challenge.rstrip(b"=").decode() == asked["code_challenge"],
        }
        failed = [name for name, ok in checks.items() if not ok]
        if failed or asked is None:
            self.refused.extend(failed)
            return 400, {"error": "invalid_grant", "error_description": f"bad {failed}"}
        self.exchanged.append(form)
        now = int(time.time())
        common = {"iss": self.issuer, "sub": self.user["sub"], "iat": now, "exp": now + 600}
        access = {**common, **self.user, "aud": AUDIENCE}
        identity = {**common, "aud": CLIENT_ID, "nonce": self.forged_nonce or asked["nonce"]}
        return 200, {
            "access_token": self.sign(access),
            "token_type": "Bearer",
            "expires_in": 600,
            "id_token": self.sign(identity),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def access_token(self, **user: str) -> str:
        """An access token of this provider for another user (the test's own calls)."""
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "iat": now, "exp": now + 600, **user}
        return self.sign(claims)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet: the test reads the provider
            pass

        def _send(self, status: int, body: dict[str, Any] | None = None, **headers: str) -> None:
            self.send_response(status)
            # The page calls discovery and the token endpoint from the dashboard's origin.
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "*")
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            data = json.dumps(body).encode() if body is not None else b""
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:
            self._send(204, None, **{"Access-Control-Allow-Methods": "GET, POST"})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == REALM + "/.well-known/openid-configuration":
                self._send(200, provider.discovery())
            elif url.path == REALM + "/certs":
                self._send(200, provider.jwks())
            elif url.path == REALM + "/auth":
                try:
                    self._send(302, None, Location=provider.authorize(query))
                except ValueError as exc:  # never redirect to an unregistered address
                    self._send(400, {"error": "invalid_request", "error_description": str(exc)})
            else:
                self._send(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path == REALM + "/token":
                self._send(*provider.token(form))
            else:
                self._send(404, {"error": "not_found"})

    return Handler


@pytest.fixture
def oidc_provider() -> Iterator[Provider]:
    """The provider on a free port of 127.0.0.1, signing in a county officer of 通渭县."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    provider = Provider(
        base=f"http://127.0.0.1:{server.server_address[1]}",
        user={"sub": "wang.county", "role": "county_officer", "region": "621121"},
    )
    server.RequestHandlerClass = _handler(provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
