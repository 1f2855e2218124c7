"""JWT bearer authentication with scopes.

Local development signs HS256 tokens with a shared secret (minted by `coulisse token`);
production verifies RS256 tokens against the identity provider's JWKS URL. The token's `sub`
becomes the `actor` of every event the request causes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from coulisse.platform.context import CausationContext, set_causation
from coulisse.platform.settings import ALL_SCOPES, ServiceSettings


class AuthError(Exception):
    """401: the caller is not authenticated."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ScopeError(Exception):
    """403: the caller is authenticated but lacks the route's scope."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Principal:
    sub: str
    scopes: frozenset[str]


def mint_token(secret: str, sub: str, scopes: Sequence[str], ttl_seconds: int = 3600) -> str:
    """An HS256 token for local use (the `coulisse token` command, tests, demo data)."""
    now = int(time.time())
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
    claims = {"sub": sub, "scope": " ".join(scopes), "iat": now, "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True) if settings.jwks_url else None
        )

    def verify(self, token: str) -> Principal:
        try:
            if self._jwks is not None:
                key: Any = self._jwks.get_signing_key_from_jwt(token).key
                algorithms = ["RS256"]
            else:
                key = self._settings.jwt_secret
                algorithms = ["HS256"]
            # `algorithms` is explicit: "none" and algorithm-confusion tokens are refused.
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._settings.jwt_audience is not None,
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("the token has expired") from exc
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"the token's signing key cannot be found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is invalid: {exc}") from exc
        scope_claim = claims.get("scope", claims.get("scp", ""))
        scopes = scope_claim.split() if isinstance(scope_claim, str) else list(scope_claim)
        return Principal(sub=str(claims["sub"]), scopes=frozenset(scopes))


_bearer = HTTPBearer(auto_error=False)


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the route needs a valid token carrying `scope`."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"unknown scope {scope}")

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if (
            credentials is None
            or credentials.scheme.lower() != "bearer"
            or not credentials.credentials
        ):
            raise AuthError("missing bearer token (Authorization: Bearer <JWT>)")
        verifier: TokenVerifier = request.app.state.token_verifier
        principal = verifier.verify(credentials.credentials)
        if scope not in principal.scopes:
            raise ScopeError(f"this route needs the scope {scope!r}")
        correlation = request.headers.get("x-correlation-id")
        set_causation(CausationContext(actor=principal.sub, correlation_id=correlation))
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency
