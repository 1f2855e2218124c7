"""`coulisse tools` (run by `make install`): hledger from apt-get, or a message saying how."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from coulisse.ops.tools import ensure_program


class FakeApt:
    """apt-get that knows the package only after `update`, as on a fresh container."""

    def __init__(self, *, lists: bool, installs: bool = True) -> None:
        self.lists = lists
        self.installs = installs
        self.installed = False
        self.commands: list[list[str]] = []

    def which(self, program: str) -> str | None:
        if program == "apt-get":
            return "/usr/bin/apt-get"
        return f"/usr/bin/{program}" if self.installed else None

    def run(self, command: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.commands.append(list(command))
        if "update" in command:
            self.lists = True
            return subprocess.CompletedProcess(command, 0, "", "")
        if self.lists and self.installs:
            self.installed = True
            return subprocess.CompletedProcess(command, 0, "", "")
        return subprocess.CompletedProcess(command, 100, "", "E: Unable to locate package hledger")


def as_root() -> list[str]:
    return []


def test_nothing_happens_when_hledger_is_there() -> None:
    apt = FakeApt(lists=True)
    apt.installed = True
    outcome = ensure_program("hledger", run=apt.run, which=apt.which, privilege=as_root)
    assert outcome.path == "/usr/bin/hledger" and apt.commands == []


def test_installed_from_the_package_lists_at_hand() -> None:
    apt = FakeApt(lists=True)
    outcome = ensure_program(
        "hledger", run=apt.run, which=apt.which, privilege=as_root, report=lambda _: None
    )
    assert outcome.path == "/usr/bin/hledger"
    assert [c[-2:] for c in apt.commands] == [["--no-install-recommends", "hledger"]]


def test_a_fresh_machine_updates_the_package_lists_first() -> None:
    apt = FakeApt(lists=False)
    outcome = ensure_program(
        "hledger", run=apt.run, which=apt.which, privilege=as_root, report=lambda _: None
    )
    assert outcome.path == "/usr/bin/hledger"
    assert [c[-1] for c in apt.commands] == ["hledger", "-q", "hledger"]
    assert "update" in apt.commands[1]


def test_with_sudo_apt_get_is_run_through_it() -> None:
    apt = FakeApt(lists=True)
    ensure_program(
        "hledger",
        run=apt.run,
        which=apt.which,
        privilege=lambda: ["/usr/bin/sudo", "-n"],
        report=lambda _: None,
    )
    assert apt.commands[0][:3] == ["/usr/bin/sudo", "-n", "/usr/bin/apt-get"]


def test_without_root_nor_sudo_it_says_how_and_runs_nothing() -> None:
    apt = FakeApt(lists=True)
    outcome = ensure_program("hledger", run=apt.run, which=apt.which, privilege=lambda: None)
    assert outcome.path is None and apt.commands == []
    assert "apt-get install hledger" in outcome.message


def test_without_apt_get_it_says_how() -> None:
    outcome = ensure_program(
        "hledger", run=FakeApt(lists=True).run, which=lambda _: None, privilege=as_root
    )
    assert outcome.path is None and "apt-get is not here" in outcome.message


def test_a_failed_install_is_reported_not_raised() -> None:
    apt = FakeApt(lists=True, installs=False)
    outcome = ensure_program(
        "hledger", run=apt.run, which=apt.which, privilege=as_root, report=lambda _: None
    )
    assert outcome.path is None
    assert "Unable to locate package" in outcome.message
