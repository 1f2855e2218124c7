"""`coulisse up` ends with the dashboard's address: a reports:read token in its fragment."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import jwt
from jwt.types import Options

from coulisse.ops.tokens import dashboard_url, jwt_secret

# The claims are read, not their validity in time (minted on the platform's clock).
CONTENT_ONLY: Options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


def test_the_dashboard_url_carries_a_read_only_token_in_its_fragment(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt-secret"
    url = dashboard_url(secret_file, "http://127.0.0.1:8005", ttl_seconds=12 * 3600)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == (
        "http",
        "127.0.0.1:8005",
        "/",
        "",
    )
    name, _, token = parts.fragment.partition("=")
    assert name == "token"
    claims = jwt.decode(token, jwt_secret(secret_file), algorithms=["HS256"], options=CONTENT_ONLY)
    assert claims["scope"].split() == ["reports:read"]
    assert claims["exp"] - claims["iat"] == 12 * 3600
