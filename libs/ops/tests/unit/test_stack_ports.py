"""Which ports `coulisse up` gives a stack: a second run folder never takes the default ones."""

from __future__ import annotations

from pathlib import Path

from coulisse.ops.paths import Layout
from coulisse.ops.stack import Stack, State

SERVICES = ["customer", "billing", "accounting-gateway"]
DEFAULTS = {9092, 9093, 55432, 2525, 9411, 8001, 8002, 8003, 8004, 8005}


def ask(stack: Stack, **given: int | None) -> None:
    ports: dict[str, int | None] = dict.fromkeys(
        ("kafka_port", "kafka_controller_port", "postgres_port", "mail_port", "zipkin_port")
    )
    ports.update(given)
    stack.choose_ports(SERVICES, **ports)


def used(state: State) -> list[int]:
    return [
        state.kafka_port,
        state.kafka_controller_port,
        state.postgres_port,
        state.mail_port,
        state.zipkin_port,
        *state.service_ports.values(),
    ]


def test_the_default_run_folder_keeps_the_documented_ports(tmp_path: Path) -> None:
    stack = Stack(Layout(tmp_path, tmp_path / ".cache" / "run"), State(kafka_port=1234))
    ask(stack)
    assert stack.state.kafka_port == 9092
    assert stack.state.postgres_port == 55432
    assert stack.state.service_ports == {}


def test_another_run_folder_takes_free_ports_none_of_the_defaults(tmp_path: Path) -> None:
    stack = Stack(Layout(tmp_path, tmp_path / ".cache" / "bench-run"), State())
    ask(stack)
    ports = used(stack.state)
    assert set(stack.state.service_ports) == set(SERVICES)
    assert not DEFAULTS & set(ports)
    assert len(set(ports)) == len(ports)
    assert stack.services() == []  # no service was recorded as started yet


def test_another_run_folder_keeps_the_ports_its_last_up_chose(tmp_path: Path) -> None:
    paths = Layout(tmp_path, tmp_path / "bench-run")
    first = Stack(paths, State())
    ask(first)
    first.save()
    again = Stack.load(paths)
    ask(again)
    assert used(again.state) == used(first.state)


def test_a_port_asked_for_wins(tmp_path: Path) -> None:
    stack = Stack(Layout(tmp_path, tmp_path / "bench-run"), State())
    ask(stack, kafka_port=19092)
    assert stack.state.kafka_port == 19092
    assert stack.state.postgres_port != 55432
