"""Local bearer tokens: the HS256 secret of this checkout, and minting through the platform."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from coulisse.platform.auth import mint_token
from coulisse.platform.settings import ALL_SCOPES

DEFAULT_SUBJECT = "local-developer"


def jwt_secret(path: Path) -> str:
    """Read the secret, creating it (mode 600) the first time; every service of `up` shares it."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another command created it in the meantime: use theirs.
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def expand_scopes(scopes: Iterable[str]) -> list[str]:
    """`all` stands for every scope; unknown scopes are refused."""
    result: list[str] = []
    for scope in scopes:
        for item in ALL_SCOPES if scope == "all" else (scope,):
            if item not in ALL_SCOPES:
                raise ValueError(f"unknown scope {item!r}; known: all, {', '.join(ALL_SCOPES)}")
            if item not in result:
                result.append(item)
    return result


def mint(
    secret_file: Path,
    scopes: Iterable[str],
    *,
    subject: str = DEFAULT_SUBJECT,
    ttl_seconds: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    return mint_token(
        jwt_secret(secret_file),
        subject,
        expand_scopes(scopes),
        ttl_seconds,
        issuer=issuer,
        audience=audience,
    )


DASHBOARD_SCOPES = ("reports:read",)
"""What the operations dashboard reads: the reporting service's reports and streams."""


def dashboard_url(secret_file: Path, base_url: str, *, ttl_seconds: int) -> str:
    """The reporting service's dashboard with a `reports:read` token in the fragment, which
    browsers never send to a server; the page moves it into the tab's session storage."""
    token = mint(secret_file, DASHBOARD_SCOPES, ttl_seconds=ttl_seconds)
    return f"{base_url}/#token={token}"
