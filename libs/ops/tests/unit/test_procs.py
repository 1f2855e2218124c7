"""Processes found by pid file and checked against their command line."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from coulisse.ops import procs


@pytest.fixture
def marker() -> str:
    return f"coulisse-procs-test-{uuid4().hex[:8]}"


def spawn(marker: str, code: str = "import time; time.sleep(60)") -> subprocess.Popen[bytes]:
    # The marker is an extra argument, visible in the command line and ignored by the code.
    return subprocess.Popen([sys.executable, "-c", code, marker])


@pytest.fixture
def sleeper(marker: str) -> Iterator[subprocess.Popen[bytes]]:
    process = spawn(marker)
    yield process
    process.kill()
    process.wait()


def test_pid_files_round_trip(tmp_path: Path) -> None:
    pid_file = tmp_path / "sub" / "x.pid"
    procs.write_pid(pid_file, 4242)
    assert procs.read_pid(pid_file) == 4242
    assert procs.read_pid(tmp_path / "missing.pid") is None
    (tmp_path / "garbage.pid").write_text("not a pid\n")
    assert procs.read_pid(tmp_path / "garbage.pid") is None


def test_a_live_process_is_recognised_by_its_command_line(
    sleeper: subprocess.Popen[bytes], marker: str, tmp_path: Path
) -> None:
    cmdline = procs.command_line(sleeper.pid)
    assert cmdline is not None and cmdline.endswith(marker)
    assert procs.is_running(sleeper.pid, marker)
    # A pid that now belongs to something else is not the expected process.
    assert not procs.is_running(sleeper.pid, "some-other-program")
    procs.write_pid(tmp_path / "p.pid", sleeper.pid)
    assert procs.running_pid(tmp_path / "p.pid", marker) == sleeper.pid
    assert procs.running_pid(tmp_path / "p.pid", "some-other-program") is None


@pytest.mark.parametrize("pid", [None, 0, -1])
def test_no_pid_is_never_running(pid: int | None) -> None:
    assert not procs.is_running(pid, "")


def test_a_finished_process_is_not_running(marker: str, tmp_path: Path) -> None:
    process = spawn(marker, "pass")
    process.wait()
    assert procs.command_line(process.pid) is None
    procs.write_pid(tmp_path / "p.pid", process.pid)
    assert procs.running_pid(tmp_path / "p.pid", marker) is None


def test_a_zombie_is_not_running(marker: str) -> None:
    process = spawn(marker, "pass")
    # Exited but not waited for: a zombie until reaped.
    deadline = time.monotonic() + 10
    while procs.command_line(process.pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not procs.is_running(process.pid, marker)
    finally:
        process.wait()


def test_terminate_stops_with_sigterm(sleeper: subprocess.Popen[bytes], marker: str) -> None:
    assert procs.terminate(sleeper.pid, marker, timeout=10) is False
    assert sleeper.wait(timeout=5) == -signal.SIGTERM


def test_terminate_kills_what_ignores_sigterm(marker: str) -> None:
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code, marker], stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None and process.stdout.readline() == b"ready\n"
        assert procs.terminate(process.pid, marker, timeout=0.5) is True
        assert process.wait(timeout=5) == -signal.SIGKILL
    finally:
        process.kill()
        process.wait()


def test_terminate_leaves_a_process_with_another_command_line_alone(
    sleeper: subprocess.Popen[bytes],
) -> None:
    assert procs.terminate(sleeper.pid, "some-other-program", timeout=1) is False
    assert sleeper.poll() is None


def test_free_port_is_free() -> None:
    port = procs.free_port()
    assert 0 < port < 65536 and not procs.port_open(port)
