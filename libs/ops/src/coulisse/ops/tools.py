"""Programs from the distribution that the tests run, installed by `make install`.

hledger reads the accounting gateway's plain-text journal in its export test; Chromium (headless)
loads the reporting service's dashboard in its browser test. Both come from Debian's packages,
installed with apt-get when this runs as root or with a password-less sudo; otherwise a message
says how to install them, and `make install` still succeeds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Report = Callable[[str], None]
Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

# program on PATH → Debian package
PACKAGES = {"hledger": "hledger", "chromium": "chromium"}
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
# Wait for another apt run (unattended upgrades) instead of failing at once.
APT_OPTIONS = ("-o", "DPkg::Lock::Timeout=120")


@dataclass(frozen=True)
class Outcome:
    program: str
    path: str | None
    """Where the program is now, None if it is still missing."""
    message: str


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        env={**os.environ, **APT_ENV},
        check=False,
    )


def _privilege() -> list[str] | None:
    """The prefix that makes apt-get run as root: none as root, `sudo -n` if that works."""
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo is None:
        return None
    probe = subprocess.run([sudo, "-n", "true"], capture_output=True, check=False)
    return [sudo, "-n"] if probe.returncode == 0 else None


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-5:])


def ensure_program(
    program: str,
    *,
    run: Runner = _run,
    which: Callable[[str], str | None] = shutil.which,
    privilege: Callable[[], list[str] | None] = _privilege,
    report: Report = print,
) -> Outcome:
    """Install `program`'s Debian package when it is missing and apt-get can run."""
    found = which(program)
    if found:
        return Outcome(program, found, f"{program}: {found}")
    package = PACKAGES[program]
    by_hand = f"install it yourself (Debian, Ubuntu: `sudo apt-get install {package}`)"
    apt = which("apt-get")
    if apt is None:
        return Outcome(program, None, f"{program} is missing and apt-get is not here: {by_hand}")
    prefix = privilege()
    if prefix is None:
        return Outcome(
            program,
            None,
            f"{program} is missing and apt-get needs root (or a password-less sudo): {by_hand}",
        )
    install = [*prefix, apt, *APT_OPTIONS, "install", "-y", "-q", "--no-install-recommends"]
    report(f"{program}: installing the Debian package {package}")
    result = run([*install, package])
    if result.returncode != 0:
        # A fresh machine or container may not have the package lists yet.
        report(f"{program}: apt-get update, then installing again")
        updated = run([*prefix, apt, *APT_OPTIONS, "update", "-q"])
        result = run([*install, package]) if updated.returncode == 0 else updated
    installed = which(program)
    if result.returncode != 0 or installed is None:
        return Outcome(
            program, None, f"{program}: apt-get could not install it:\n{_tail(result)}\n{by_hand}"
        )
    return Outcome(program, installed, f"{program}: installed at {installed}")


def ensure_all(report: Report = print) -> list[Outcome]:
    return [ensure_program(program, report=report) for program in PACKAGES]
