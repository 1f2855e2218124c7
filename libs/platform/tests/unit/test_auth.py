from __future__ import annotations

from typing import Any

import jwt
import pytest

from coulisse.platform.auth import AuthError, TokenVerifier, mint_token
from coulisse.platform.clock import default_clock, timestamp
from coulisse.platform.settings import LOCAL_DEV_SECRET, ServiceSettings

SECRET = "a-test-secret-that-is-long-enough-123456"


def verifier() -> TokenVerifier:
    return TokenVerifier(ServiceSettings(COULISSE_JWT_SECRET=SECRET))


def test_minted_token_carries_sub_and_scopes() -> None:
    principal = verifier().verify(mint_token(SECRET, "agent-7", ["customers:read", "billing:read"]))
    assert principal.sub == "agent-7"
    assert principal.scopes == {"customers:read", "billing:read"}


def test_unknown_scope_cannot_be_minted() -> None:
    with pytest.raises(ValueError):
        mint_token(SECRET, "x", ["customers:delete"])


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(
            {"sub": "x", "scope": "customers:read", "exp": timestamp(default_clock()) - 10},
            SECRET,
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": "x", "scope": "customers:read", "exp": timestamp(default_clock()) + 60},
            "wrong-secret-wrong-secret-wrong!!",
            algorithm="HS256",
        ),
        jwt.encode(
            {"sub": "x", "scope": "customers:read", "exp": timestamp(default_clock()) + 60},
            None,  # type: ignore[arg-type]
            algorithm="none",
        ),
        jwt.encode(
            {"scope": "customers:read", "exp": timestamp(default_clock()) + 60},
            SECRET,
            algorithm="HS256",
        ),
        "not-a-jwt",
    ],
    ids=["expired", "bad-signature", "alg-none", "no-sub", "garbage"],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(AuthError):
        verifier().verify(token)


PRODUCTION: dict[str, Any] = {
    "COULISSE_ENV": "production",
    "COULISSE_JWT_ISSUER": "https://identity.example.com/",
    "COULISSE_JWT_AUDIENCE": "coulisse-api",
}


def test_production_refuses_the_local_secret() -> None:
    with pytest.raises(ValueError, match="local development secret"):
        ServiceSettings(**PRODUCTION, COULISSE_JWT_SECRET=LOCAL_DEV_SECRET)
    ServiceSettings(**PRODUCTION, COULISSE_JWT_SECRET=SECRET)
    ServiceSettings(**PRODUCTION, COULISSE_JWKS_URL="https://idp.example/jwks")


@pytest.mark.parametrize("missing", ["COULISSE_JWT_ISSUER", "COULISSE_JWT_AUDIENCE"])
def test_production_checks_who_issued_a_token_and_for_whom(missing: str) -> None:
    values = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ValueError, match="COULISSE_JWT_ISSUER and COULISSE_JWT_AUDIENCE"):
        ServiceSettings(**values, COULISSE_JWT_SECRET=SECRET)
