"""JWT bearer authentication with scopes.

Local development signs HS256 tokens with a shared secret (minted by `coulisse token`);
production verifies RS256 tokens against the identity provider's JWKS URL. The token's `sub`
becomes the `actor` of every event the request causes.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from coulisse.platform.clock import Clock, default_clock, timestamp
from coulisse.platform.context import CausationContext, set_causation
from coulisse.platform.openapi import Needs, needs
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


def mint_token(
    secret: str,
    sub: str,
    scopes: Sequence[str],
    ttl_seconds: int = 3600,
    *,
    clock: Clock | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    """An HS256 token for local use (the `coulisse token` command, tests, demo data)."""
    now = timestamp(clock or default_clock())
    unknown = set(scopes) - set(ALL_SCOPES)
    if unknown:
        raise ValueError(f"unknown scope(s): {', '.join(sorted(unknown))}")
    claims: dict[str, Any] = {
        "sub": sub,
        "scope": " ".join(scopes),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


class TokenVerifier:
    def __init__(self, settings: ServiceSettings, clock: Clock | None = None) -> None:
        self._settings = settings
        self._clock = clock or default_clock()
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
                    # Time claims are checked below against the platform's clock.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWKClientError as exc:
            raise AuthError(f"the token's signing key cannot be found: {exc}") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"the token is invalid: {exc}") from exc
        self._check_times(claims)
        scope_claim = claims.get("scope", claims.get("scp", ""))
        scopes = scope_claim.split() if isinstance(scope_claim, str) else list(scope_claim)
        return Principal(sub=str(claims["sub"]), scopes=frozenset(scopes))

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = timestamp(self._clock)
        try:
            expires = int(claims["exp"])
            not_before = int(claims.get("nbf", now))
        except (TypeError, ValueError) as exc:
            raise AuthError("the token is invalid: exp and nbf must be integers") from exc
        if expires <= now:
            raise AuthError("the token has expired")
        if not_before > now:
            raise AuthError("the token is not valid yet")


_bearer = HTTPBearer(auto_error=False)


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency: the route needs a valid token carrying `scope`."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"unknown scope {scope}")

    @needs(Needs.TOKEN)
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
