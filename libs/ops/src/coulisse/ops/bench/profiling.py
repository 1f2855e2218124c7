"""py-spy on a service process while a phase runs: an SVG flame graph kept with the results, and
the top frames (self and total) computed from the same samples.

Two samplers run side by side, `--nonblocking` (the process is read, never paused: the figures
of the profiled repetition stay close to the others): one writes the SVG, the other the raw
collapsed stacks read here. py-spy needs ptrace rights on the process; when it cannot attach,
the JSON says why instead of failing the run.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

RATE = 100


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Profile:
    """`with Profile(pid, folder, name):` samples `pid` for the duration of the block."""

    def __init__(self, pid: int | None, folder: Path, name: str) -> None:
        self.pid = pid
        self.svg = folder / f"{name}.svg"
        self.raw = folder / f"{name}.collapsed.txt"
        self.log = folder / f"{name}.py-spy.log"
        self.error: str | None = None
        self.seconds = 0.0
        self._processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Profile:
        program = py_spy()
        if program is None:
            self.error = "py-spy is not installed (make install brings it with the dev group)"
            return self
        if self.pid is None:
            self.error = "no process to profile"
            return self
        self.svg.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            for output, form in ((self.svg, "flamegraph"), (self.raw, "raw")):
                command = [program, "record", "--pid", str(self.pid), "--rate", str(RATE)]
                command += ["--nonblocking", "--format", form, "--output", str(output)]
                if form == "raw":
                    # Whole paths: `sqlalchemy/engine.py` may be OpenTelemetry's instrumentation.
                    command.append("--full-filenames")
                self._processes.append(
                    subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
                )
        self._started = time.monotonic()
        # An attach refused (ptrace) ends py-spy at once: say so rather than wait for nothing.
        time.sleep(0.3)
        if any(p.poll() is not None for p in self._processes):
            self.error = f"py-spy could not attach: {self.log.read_text()[-500:]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.monotonic() - getattr(self, "_started", time.monotonic())
        for process in self._processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        for process in self._processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.error is None and not self.raw.exists():
            with contextlib.suppress(FileNotFoundError):
                self.error = f"py-spy wrote nothing: {self.log.read_text()[-500:]}"

    def summary(self, root: Path) -> dict[str, Any]:
        found: dict[str, Any] = {"pid": self.pid, "rate_hz": RATE, "nonblocking": True}
        if self.error is not None:
            return {**found, "error": self.error}
        stacks = read_collapsed(self.raw.read_text())
        return {
            **found,
            "seconds": round(self.seconds, 3),
            "flame_graph": str(self.svg.relative_to(root)),
            "collapsed_stacks": str(self.raw.relative_to(root)),
            **top_frames(stacks),
        }


def read_collapsed(text: str) -> Counter[tuple[str, ...]]:
    """py-spy's raw output: `frame;frame;frame count` per line, root first."""
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


ROOTS = re.compile(r"^.*/(?:site-packages|src|lib/python3\.\d+)/")


def _function(frame: str) -> str:
    """`post (/…/src/coulisse/billing/entrypoints/invoices_api.py:42)` → `post
    (coulisse/billing/entrypoints/invoices_api.py)`: the path from its import root, without the
    line number, so that the lines of one function add up."""
    name, _, where = frame.partition(" (")
    if not where:
        return name
    return f"{name} ({ROOTS.sub('', where.rsplit(':', 1)[0].rstrip(')'))})"


OUR_CODE = "coulisse/"
# The frames every sample of the event loop shares (process start, typer, uvicorn, the loop):
# cut, so that "total" ranks what the loop was running.
LOOP = "Runner.run (asyncio/runners.py"


def _package(function: str) -> str:
    """`execute (sqlalchemy/engine/base.py)` → `sqlalchemy`; a module of the standard library →
    its name (`asyncio`, `json.py`)."""
    where = function.partition(" (")[2].rstrip(")")
    return where.split("/", 1)[0] if "/" in where else where


def _below_loop(functions: list[str]) -> list[str]:
    for index in range(len(functions) - 1, -1, -1):
        if functions[index].startswith(LOOP):
            return functions[index + 1 :]
    return functions


def top_frames(stacks: Counter[tuple[str, ...]], count: int = 15) -> dict[str, Any]:
    """The functions the samples were in (self) and under (total, below the event loop), as
    shares of all samples; and the same total restricted to Coulisse's own code."""
    total = sum(stacks.values())
    if not total:
        return {"samples": 0}
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for stack, samples in stacks.items():
        functions = [_function(frame) for frame in stack]
        if functions:
            own[functions[-1]] += samples
            packages[_package(functions[-1])] += samples
        for function in set(_below_loop(functions)):
            under[function] += samples

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "share": round(samples / total, 3), "samples": samples}
            for name, samples in counter.most_common(count)
        ]

    ours = Counter(
        {name: n for name, n in under.items() if name.partition(" (")[2].startswith(OUR_CODE)}
    )
    return {
        "samples": total,
        "top_self": share(own),
        "top_total": share(under),
        "top_total_in_coulisse_code": share(ours),
        "self_by_package": share(packages),
    }
