"""Processes identified by pid files, never by name.

A pid file alone is not proof: after a crash or a reboot the pid may belong to an unrelated
process. Every check therefore also matches a marker against the process's command line.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psutil


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text().split()
    except (FileNotFoundError, PermissionError):
        return None
    if not text or not text[0].isdigit():
        return None
    return int(text[0])


def write_pid(pid_file: Path, pid: int) -> None:
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pid_file)


def _command_line(process: psutil.Process) -> str | None:
    try:
        # A zombie still answers kill(pid, 0) but is not running anything.
        if process.status() in {psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD}:
            return None
        return " ".join(str(arg) for arg in process.cmdline()).strip()
    except psutil.Error:
        return None


def command_line(pid: int) -> str | None:
    """The process's arguments joined by spaces, or None if it is gone or a zombie."""
    try:
        return _command_line(psutil.Process(pid))
    except psutil.Error:
        return None


def _process(pid: int | None, marker: str) -> psutil.Process | None:
    """The live process `pid` if its command line contains `marker`."""
    if pid is None or pid <= 0:
        return None
    try:
        process = psutil.Process(pid)
    except psutil.Error:
        return None
    cmdline = _command_line(process)
    return process if cmdline is not None and marker in cmdline else None


def is_running(pid: int | None, marker: str) -> bool:
    return _process(pid, marker) is not None


def running_pid(pid_file: Path, marker: str) -> int | None:
    """The pid recorded in `pid_file` if that process is alive and is the expected one."""
    pid = read_pid(pid_file)
    return pid if is_running(pid, marker) else None


def wait_exit(pid: int, marker: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid, marker):
            return True
        _reap(pid)
        time.sleep(0.1)
    return not is_running(pid, marker)


def _reap(pid: int) -> None:
    # A child of this process stays a zombie until waited for.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pid: int, marker: str, timeout: float = 30.0) -> bool:
    """SIGTERM, wait up to `timeout`, then SIGKILL. True if it had to be killed."""
    process = _process(pid, marker)
    if process is None:
        return False
    # psutil checks the pid still names the process it looked at (start time), so a pid
    # reused in between is never signalled.
    with contextlib.suppress(psutil.NoSuchProcess):
        process.terminate()
    if wait_exit(pid, marker, timeout):
        return False
    with contextlib.suppress(psutil.NoSuchProcess):
        process.kill()
    wait_exit(pid, marker, 10)
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = 30) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64_000))
            data = handle.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(data.splitlines()[-lines:])


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so that two sessions never fetch or format at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
