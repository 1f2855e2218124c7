from __future__ import annotations

import stat
from pathlib import Path

import jwt
import pytest
from jwt.types import Options
from typer.testing import CliRunner

from coulisse.ops.cli import app
from coulisse.ops.tokens import expand_scopes, jwt_secret
from coulisse.platform.settings import ALL_SCOPES

# The claims are checked here, not their validity in time: the token is minted by the platform's
# clock (which COULISSE_CLOCK_START may move), while PyJWT would compare them with the machine's.
CONTENT_ONLY: Options = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COULISSE_RUN_DIR", str(tmp_path))
    return tmp_path


def test_the_token_command_prints_only_a_jwt(run_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["token", "--scope", "customers:read", "--scope", "billing:write", "--sub", "agent-7"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2
    secret = (run_dir / "jwt-secret").read_text().strip()
    claims = jwt.decode(lines[0], secret, algorithms=["HS256"], options=CONTENT_ONLY)
    assert claims["sub"] == "agent-7"
    assert claims["scope"].split() == ["customers:read", "billing:write"]
    assert claims["exp"] - claims["iat"] == 3600


def test_all_expands_to_every_scope(run_dir: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--scope", "all", "--ttl", "60"])
    assert result.exit_code == 0, result.output
    secret = (run_dir / "jwt-secret").read_text().strip()
    claims = jwt.decode(result.stdout.strip(), secret, algorithms=["HS256"], options=CONTENT_ONLY)
    assert claims["scope"].split() == list(ALL_SCOPES)
    assert claims["exp"] - claims["iat"] == 60
    assert claims["sub"] == "local-developer"


def test_an_unknown_scope_is_an_error_and_prints_no_token(run_dir: Path) -> None:
    result = CliRunner().invoke(app, ["token", "--scope", "customers:delete"])
    assert result.exit_code == 1
    assert result.stdout == ""
    with pytest.raises(ValueError):
        expand_scopes(["all", "root"])


def test_the_secret_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "run" / "jwt-secret"
    first = jwt_secret(path)
    assert len(first) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert jwt_secret(path) == first
