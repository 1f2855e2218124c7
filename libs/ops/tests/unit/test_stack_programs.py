"""The programs `coulisse up` supervises for the services: each service's API, consumers and
workers in one process, its outbox relay in another."""

from __future__ import annotations

from pathlib import Path

from coulisse.ops.paths import Layout
from coulisse.ops.stack import Stack, State


def test_each_service_runs_its_relay_in_a_program_of_its_own(tmp_path: Path) -> None:
    stack = Stack(Layout(tmp_path, tmp_path / "run"), State(services=["billing", "reporting"]))
    (tmp_path / "run").mkdir()
    envs = {name: {"COULISSE_SERVICE": name, "HTTP_PORT": "1"} for name in ("billing", "reporting")}
    programs = {p.name: p for p in stack.programs(envs)}

    for service in ("billing", "reporting"):
        main, relay = programs[service], programs[f"{service}-relay"]
        assert main.environment["COULISSE_ROLES"] == "api,consumers,workers"
        assert relay.environment["COULISSE_ROLES"] == "relay"
        # The same service, the same settings otherwise.
        assert main.command == relay.command
        assert {k: v for k, v in main.environment.items() if k != "COULISSE_ROLES"} == {
            k: v for k, v in relay.environment.items() if k != "COULISSE_ROLES"
        }
    # Every role runs somewhere, once.
    for service in ("billing", "reporting"):
        roles = [
            role
            for name in (service, f"{service}-relay")
            for role in programs[name].environment["COULISSE_ROLES"].split(",")
        ]
        assert sorted(roles) == ["api", "consumers", "relay", "workers"]
