"""supervisord keeps the service processes alive: a crash, even `kill -9`, is followed by a restart.

Kafka and PostgreSQL are not supervised programs: they keep state on disk, have their own
shutdown protocol and are started once, before the services, by `coulisse.ops.stack`.
"""

from __future__ import annotations

import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from coulisse.ops import procs


class SupervisorError(RuntimeError):
    pass


@dataclass(frozen=True)
class Program:
    name: str
    command: Sequence[str]
    environment: Mapping[str, str]
    directory: Path


def _env_value(key: str, value: str) -> str:
    # supervisord expands %(...)s in its config and splits the list on commas outside quotes.
    if any(char in value for char in '"\n\r'):
        raise ValueError(f"{key} holds a character supervisord cannot carry: {value!r}")
    return '"' + value.replace("%", "%%") + '"'


def _command(parts: Sequence[str]) -> str:
    for part in parts:
        if any(char.isspace() for char in part) or '"' in part or "'" in part:
            raise ValueError(f"a program argument must not contain spaces or quotes: {part!r}")
    return " ".join(part.replace("%", "%%") for part in parts)


def render_config(run_dir: Path, programs: Sequence[Program]) -> str:
    """The whole supervisord.conf: one section per program, logs in `run_dir/logs`."""
    logs = run_dir / "logs"
    lines = [
        "; Written by `coulisse up` (coulisse.ops.supervise); rewritten at every run.",
        "[unix_http_server]",
        f"file={run_dir / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={logs / 'supervisord.log'}",
        "logfile_maxbytes=5MB",
        "logfile_backups=2",
        f"pidfile={run_dir / 'supervisord.pid'}",
        f"childlogdir={logs}",
        f"directory={run_dir}",
        "identifier=coulisse",
        "nodaemon=false",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{run_dir / 'supervisor.sock'}",
    ]
    for program in programs:
        environment = ",".join(
            f"{key}={_env_value(key, value)}" for key, value in sorted(program.environment.items())
        )
        lines += [
            "",
            f"[program:{program.name}]",
            f"command={_command(program.command)}",
            f"directory={program.directory}",
            f"environment={environment}",
            "autostart=true",
            "autorestart=true",
            # Up for 3 s counts as started; a service that cannot start is retried, then FATAL.
            "startsecs=3",
            "startretries=5",
            "stopsignal=TERM",
            "stopwaitsecs=20",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={logs / (program.name + '.log')}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Supervisor:
    run_dir: Path

    @property
    def conf(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def pid_file(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    def log(self, program: str) -> Path:
        return self.run_dir / "logs" / f"{program}.log"

    def pid(self) -> int | None:
        return procs.running_pid(self.pid_file, str(self.conf))

    def _rpc(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self.socket}")
        # The host part is ignored: the transport talks to the unix socket.
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def apply(self, programs: Sequence[Program], timeout: float = 30.0) -> None:
        """Write the config and start supervisord, or make a running one apply it."""
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        self.conf.write_text(render_config(self.run_dir, programs))
        if self.pid() is None:
            self.pid_file.unlink(missing_ok=True)
            self.socket.unlink(missing_ok=True)
            result = subprocess.run(
                [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.conf)],
                cwd=self.run_dir,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                start_new_session=True,
            )
            if result.returncode != 0:
                raise SupervisorError(f"supervisord did not start:\n{result.stdout}{result.stderr}")
            self._wait_socket(timeout)
            return
        rpc = self._rpc()
        # What `supervisorctl update` does: drop removed or changed programs, add new ones.
        added, changed, removed = rpc.supervisor.reloadConfig()[0]
        for name in [*changed, *removed]:
            rpc.supervisor.stopProcessGroup(name)
            rpc.supervisor.removeProcessGroup(name)
        for name in [*changed, *added]:
            rpc.supervisor.addProcessGroup(name)
        # A program that gave up (FATAL) earlier gets a fresh chance.
        for info in rpc.supervisor.getAllProcessInfo():
            if info["statename"] in {"FATAL", "EXITED", "STOPPED", "BACKOFF"}:
                try:
                    rpc.supervisor.startProcess(info["name"], False)
                except xmlrpc.client.Fault as fault:
                    if "ALREADY_STARTED" not in fault.faultString:
                        raise

    def _wait_socket(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is not None and self.socket.exists():
                try:
                    self._rpc().supervisor.getState()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise SupervisorError(
            f"supervisord is not answering on {self.socket}; see {self.run_dir / 'logs'}"
        )

    def processes(self) -> dict[str, dict[str, Any]]:
        """name → supervisord's view (statename, pid, description); empty if it is not running."""
        if self.pid() is None:
            return {}
        try:
            return {info["name"]: info for info in self._rpc().supervisor.getAllProcessInfo()}
        except OSError:
            return {}

    def stop_program(self, name: str) -> None:
        """Stop one program and keep it stopped (supervisord will not restart it)."""
        self._rpc().supervisor.stopProcess(name, True)

    def start_program(self, name: str) -> None:
        self._rpc().supervisor.startProcess(name, True)

    def stop(self, timeout: float = 60.0) -> bool:
        """SIGTERM: supervisord stops every program (SIGTERM, then SIGKILL) and exits."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        procs.terminate(pid, str(self.conf), timeout)
        self.pid_file.unlink(missing_ok=True)
        return True
