"""supervisord keeps the local processes alive: a crash, even `kill -9`, is followed by a restart.

PostgreSQL and Kafka are supervised programs too, started first and stopped last (`priority`), with
their own shutdown signal; the services follow. An event listener (`coulisse.ops.restarts`) counts
the unexpected exits, which `coulisse status` shows.
"""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.options import ServerOptions
from supervisor.xmlrpc import SupervisorTransport

from coulisse.ops import procs


class SupervisorError(RuntimeError):
    pass


INFRASTRUCTURE_PRIORITY = 10
SERVICE_PRIORITY = 100
LISTENER_PRIORITY = 1
RESTARTS_FILE = "restarts.json"


@dataclass(frozen=True)
class Program:
    name: str
    command: Sequence[str]
    environment: Mapping[str, str]
    directory: Path
    priority: int = SERVICE_PRIORITY
    """Lower starts first and stops last: PostgreSQL, then Kafka, then the services."""
    user: str | None = None
    """The system user to run as (PostgreSQL refuses to run as root)."""
    stop_signal: str = "TERM"
    stop_wait: int = 20
    """Seconds between the stop signal and SIGKILL."""
    start_retries: int = 5
    """Attempts at staying up `startsecs` in a row before giving up (FATAL)."""
    stop_as_group: bool = True
    """Signal the whole process group (a service's workers); PostgreSQL handles its own."""
    events: Sequence[str] = ()
    """For an event listener: the supervisord events it receives (stdout is then the protocol)."""


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
        lines += ["", *program_section(logs, program)]
    return "\n".join(lines) + "\n"


def section_name(program: Program) -> str:
    return f"{'eventlistener' if program.events else 'program'}:{program.name}"


def program_section(logs: Path, program: Program) -> list[str]:
    environment = ",".join(
        f"{key}={_env_value(key, value)}" for key, value in sorted(program.environment.items())
    )
    log = logs / (program.name + ".log")
    lines = [
        f"[{section_name(program)}]",
        f"command={_command(program.command)}",
        f"directory={program.directory}",
        f"environment={environment}",
        f"priority={program.priority}",
        "autostart=true",
        "autorestart=true",
        # Up for 3 s counts as started; a program that cannot start is retried, then FATAL.
        "startsecs=3",
        f"startretries={program.start_retries}",
        f"stopsignal={program.stop_signal}",
        f"stopwaitsecs={program.stop_wait}",
        f"stopasgroup={str(program.stop_as_group).lower()}",
        f"killasgroup={str(program.stop_as_group).lower()}",
    ]
    if program.user is not None:
        lines.append(f"user={program.user}")
    if program.events:
        # A listener's stdout talks to supervisord: only its stderr is a log.
        return [
            *lines,
            f"events={','.join(program.events)}",
            "stdout_logfile=NONE",
            f"stderr_logfile={log}",
            "stderr_logfile_maxbytes=1MB",
            "stderr_logfile_backups=1",
        ]
    return [
        *lines,
        "redirect_stderr=true",
        f"stdout_logfile={log}",
        "stdout_logfile_maxbytes=10MB",
        "stdout_logfile_backups=3",
    ]


def kept_sections(config: str, replaced: set[str]) -> str:
    """The program and listener sections of an older config, except those in `replaced`, as
    written: what a partial `apply` keeps of the programs it was not given."""
    parser = configparser.RawConfigParser(interpolation=None, strict=False)
    parser.read_string(config)
    kept: list[str] = []
    for section in parser.sections():
        kind = section.split(":", 1)[0]
        if kind not in {"program", "eventlistener"} or section in replaced:
            continue
        kept += ["", f"[{section}]", *(f"{k}={v}" for k, v in parser.items(section))]
    return "\n".join(kept) + "\n" if kept else ""


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

    @property
    def restarts_file(self) -> Path:
        return self.run_dir / RESTARTS_FILE

    def apply(
        self, programs: Sequence[Program], timeout: float = 30.0, *, partial: bool = False
    ) -> None:
        """Write the config and start supervisord, or make a running one apply it.

        `partial`: the programs a running supervisord has and `programs` does not name are kept
        (config and process) instead of removed: how PostgreSQL and Kafka are brought up before
        the services' databases are ready."""
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        running = self.pid() is not None
        text = render_config(self.run_dir, programs)
        if partial and running and self.conf.is_file():
            text += kept_sections(self.conf.read_text(), {section_name(p) for p in programs})
        self.conf.write_text(text)
        if not running:
            self.pid_file.unlink(missing_ok=True)
            self.socket.unlink(missing_ok=True)
            # Restarts are counted from the start of this supervisord.
            self.restarts_file.unlink(missing_ok=True)
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
        for name in [*changed, *([] if partial else removed)]:
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

    def restarts(self) -> dict[str, dict[str, Any]]:
        """program → what the listener recorded: `restarts` (unexpected exits, each followed by a
        restart), `last_exit`, `last_back` and `down_seconds` of the last one."""
        try:
            found = json.loads(self.restarts_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}

    def program_environment(self, name: str) -> dict[str, str]:
        """The environment the config gives program `name`, as supervisord reads it."""
        options = ServerOptions()
        options.configfile = str(self.conf)
        options.process_config(do_usage=False)
        for group in options.process_group_configs:
            for process in group.process_configs:
                if process.name == name:
                    return dict(process.environment or {})
        raise SupervisorError(f"no program {name!r} in {self.conf}")

    def stop_program(self, name: str) -> None:
        """Stop one program and keep it stopped (supervisord will not restart it)."""
        self._rpc().supervisor.stopProcess(name, True)

    def start_program(self, name: str, *, wait: bool = True) -> None:
        """`wait`: return once it counts as running (up `startsecs`), not as soon as forked."""
        self._rpc().supervisor.startProcess(name, wait)

    def stop(self, timeout: float = 150.0) -> bool:
        """SIGTERM: supervisord stops every program, the services first, then Kafka, then
        PostgreSQL (each its stop signal, then SIGKILL), and exits."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        procs.terminate(pid, str(self.conf), timeout)
        self.pid_file.unlink(missing_ok=True)
        return True
