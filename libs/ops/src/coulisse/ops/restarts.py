"""supervisord event listener: counts each program's unexpected exits, which supervisord follows
with a restart, and writes them to `restarts.json` for `coulisse status` and `coulisse chaos`.

    python -m coulisse.ops.restarts --file .cache/run/restarts.json

Per program: `restarts` (unexpected exits since supervisord started), `last_exit` (when the last
one happened), `last_back` and `down_seconds` (when it was running again, and after how long).
An exit asked for (stop, `down`) is not counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from supervisor import childutils

from coulisse.ops.supervise import LISTENER_PRIORITY, RESTARTS_FILE, Program
from coulisse.platform.clock import default_clock

EVENTS = ("PROCESS_STATE_EXITED", "PROCESS_STATE_RUNNING")
PROGRAM = "restarts"


@dataclass
class Restarts:
    path: Path
    programs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _down_since: dict[str, float] = field(default_factory=dict)

    def observe(self, event: str, payload: dict[str, str]) -> bool:
        """Take one event in; True if the record changed."""
        name = payload.get("processname", "")
        if not name or name == PROGRAM:
            return False
        now = default_clock().now().isoformat(timespec="milliseconds")
        if event == "PROCESS_STATE_EXITED" and payload.get("expected") == "0":
            record = self.programs.setdefault(name, {"restarts": 0})
            record["restarts"] += 1
            record["last_exit"] = now
            record.pop("last_back", None)
            record.pop("down_seconds", None)
            self._down_since[name] = time.monotonic()
            return True
        if event == "PROCESS_STATE_RUNNING" and name in self._down_since:
            record = self.programs[name]
            record["last_back"] = now
            record["down_seconds"] = round(time.monotonic() - self._down_since.pop(name), 3)
            return True
        return False

    def write(self) -> None:
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.programs, indent=2, sort_keys=True) + "\n")
        # One rename: a reader never sees half a file.
        partial.replace(self.path)

    @classmethod
    def load(cls, path: Path) -> Restarts:
        """What an earlier run of the listener recorded (supervisord restarts it too)."""
        try:
            found = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            found = {}
        return cls(path, found if isinstance(found, dict) else {})


def listen(restarts: Restarts, stdin: TextIO, stdout: TextIO) -> None:
    restarts.write()
    while True:
        headers, body = childutils.listener.wait(stdin, stdout)
        payload = childutils.get_headers(body.split("\n", 1)[0])
        try:
            if restarts.observe(headers.get("eventname", ""), payload):
                restarts.write()
        except Exception as exc:  # a listener that dies would stall supervisord's event queue
            print(f"restarts: event not recorded: {exc!r}", file=sys.stderr, flush=True)
        childutils.listener.ok(stdout)


def program(run_dir: Path, directory: Path) -> Program:
    """The listener as supervisord runs it, first to start and last to stop."""
    return Program(
        name=PROGRAM,
        command=[
            sys.executable,
            "-m",
            "coulisse.ops.restarts",
            "--file",
            str(run_dir / RESTARTS_FILE),
        ],
        environment={"PYTHONUNBUFFERED": "1"},
        directory=directory,
        priority=LISTENER_PRIORITY,
        events=EVENTS,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True)
    options = parser.parse_args(argv)
    listen(Restarts.load(options.file), sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
