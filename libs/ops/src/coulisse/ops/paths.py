"""Where the repository is, and where everything generated lives (the git-ignored `.cache/`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path


def _looks_like_root(path: Path) -> bool:
    return (path / "deploy" / "kafka" / "pom.xml").is_file() and (path / "pyproject.toml").is_file()


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@cache
def repo_root() -> Path:
    """The checkout this package belongs to (it is installed editable by the uv workspace)."""
    override = os.environ.get("COULISSE_ROOT")
    if override:
        return Path(override).resolve()
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if _looks_like_root(candidate):
                return candidate
    raise RuntimeError(
        "cannot find the Coulisse checkout (deploy/kafka/pom.xml); set COULISSE_ROOT"
    )


@dataclass(frozen=True)
class Layout:
    """The files of one checkout. Everything under `cache` is generated and safe to delete."""

    root: Path
    run: Path
    """State of `coulisse up`: data, pid files, logs, secrets."""

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    @property
    def kafka_pom(self) -> Path:
        return self.root / "deploy" / "kafka" / "pom.xml"

    @property
    def kafka_log_config(self) -> Path:
        return self.root / "deploy" / "kafka" / "log4j2.yaml"

    @property
    def kafka_lib(self) -> Path:
        return self.cache / "kafka" / "lib"

    @property
    def maven_repo(self) -> Path:
        return self.cache / "m2"

    @property
    def logs(self) -> Path:
        return self.run / "logs"

    @property
    def mail(self) -> Path:
        """The mails the local SMTP sink received, one `.eml` file each."""
        return self.run / "mail"

    @property
    def jwt_secret(self) -> Path:
        return self.run / "jwt-secret"

    @property
    def test_infra(self) -> Path:
        return self.cache / "test-infra"

    def private_dir(self, purpose: str) -> Path:
        """A folder of this checkout under the system's temporary directory, for what another
        user (PostgreSQL's) must reach when it cannot enter the checkout. Named after the
        checkout's path, so that two checkouts never share one."""
        return Path(tempfile.gettempdir()) / f"coulisse-{short_hash(str(self.root))}-{purpose}"


def layout() -> Layout:
    root = repo_root()
    run = os.environ.get("COULISSE_RUN_DIR")
    return Layout(root, Path(run).resolve() if run else root / ".cache" / "run")
