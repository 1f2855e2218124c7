"""Production path: RS256 tokens verified against the identity provider's JWKS URL."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from coulisse.platform.auth import AuthError, TokenVerifier
from coulisse.platform.clock import default_clock, timestamp
from coulisse.platform.settings import ServiceSettings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url() -> Iterator[str]:
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


ISSUER = "https://identity.example.com/"
AUDIENCE = "coulisse-api"


def claims(**extra: object) -> dict[str, object]:
    return {
        "sub": "agent@idp",
        "scope": "billing:read",
        "exp": timestamp(default_clock()) + 60,
        "iss": ISSUER,
        "aud": AUDIENCE,
        **extra,
    }


def verifier(url: str) -> TokenVerifier:
    return TokenVerifier(
        ServiceSettings(
            COULISSE_ENV="production",
            COULISSE_JWKS_URL=url,
            COULISSE_JWT_ISSUER=ISSUER,
            COULISSE_JWT_AUDIENCE=AUDIENCE,
        )
    )


def test_rs256_token_signed_by_the_provider_is_accepted(jwks_url: str) -> None:
    token = jwt.encode(claims(), KEY, algorithm="RS256", headers={"kid": "idp-1"})
    principal = verifier(jwks_url).verify(token)
    assert principal.sub == "agent@idp"
    assert principal.scopes == {"billing:read"}


def test_rs256_token_signed_by_another_key_is_refused(jwks_url: str) -> None:
    token = jwt.encode(claims(), OTHER_KEY, algorithm="RS256", headers={"kid": "idp-1"})
    with pytest.raises(AuthError):
        verifier(jwks_url).verify(token)


def test_hs256_token_is_refused_when_a_jwks_is_configured(jwks_url: str) -> None:
    # Algorithm confusion: an HMAC token must not pass where the provider signs with RSA.
    token = jwt.encode(
        claims(),
        "coulisse-local-development-secret-change-me",
        algorithm="HS256",
        headers={"kid": "idp-1"},
    )
    with pytest.raises(AuthError):
        verifier(jwks_url).verify(token)


@pytest.mark.parametrize(
    "other",
    [
        {"aud": "another-application"},
        {"iss": "https://another-identity.example.com/"},
    ],
)
def test_a_token_issued_for_another_audience_or_by_another_issuer_is_refused(
    jwks_url: str, other: dict[str, object]
) -> None:
    token = jwt.encode(claims(**other), KEY, algorithm="RS256", headers={"kid": "idp-1"})
    with pytest.raises(AuthError):
        verifier(jwks_url).verify(token)


@pytest.mark.parametrize("missing", ["aud", "iss"])
def test_a_token_without_audience_or_issuer_is_refused(jwks_url: str, missing: str) -> None:
    without = {k: v for k, v in claims().items() if k != missing}
    token = jwt.encode(without, KEY, algorithm="RS256", headers={"kid": "idp-1"})
    with pytest.raises(AuthError):
        verifier(jwks_url).verify(token)
