"""Zipkin, the local trace viewer: its executable jar from Maven Central, run with plain `java`.

`coulisse up` supervises it like the services (supervisord); a test session starts one on a free
port when a test asks for `zipkin_url` (`coulisse.ops.testing`). Spans are kept in memory, at
most `MAX_SPANS` of them (the oldest traces go first), until it stops.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from coulisse.ops import maven, procs
from coulisse.ops.kafka import java_executable
from coulisse.ops.paths import Layout
from coulisse.ops.supervise import Program

VERSION = "3.5.1"
ARTIFACT = f"io.zipkin:zipkin-server:{VERSION}:jar:exec"
JAR_NAME = f"zipkin-server-{VERSION}-exec.jar"
DEFAULT_PORT = 9411
PROGRAM = "zipkin"
MAX_SPANS = 200_000
JVM_OPTS = (
    "-Xms64m",
    "-Xmx512m",
    # A small heap and a quick start matter more here than peak throughput.
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)


class ZipkinError(RuntimeError):
    pass


def _quiet(_: str) -> None:
    pass


def jar(paths: Layout) -> Path:
    return paths.cache / "zipkin" / JAR_NAME


def jar_ready(paths: Layout) -> bool:
    return jar(paths).is_file()


def ensure_jar(paths: Layout, status: maven.Status = _quiet) -> Path:
    """The executable jar, copied from Maven Central on first use (about 130 MB, once)."""
    target = jar(paths)
    if target.is_file():
        return target
    with procs.file_lock(target.parent / ".lock"):
        if target.is_file():
            return target
        partial = target.parent / "partial"
        arguments = [
            f"{maven.DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={ARTIFACT}",
            f"-DoutputDirectory={partial}",
        ]
        code, transcript = 1, ""
        try:
            if paths.maven_repo.is_dir():
                status("looking for Zipkin's jar in the local Maven cache")
                code, transcript = maven.run(
                    paths, arguments, offline=True, status=status, what="Zipkin"
                )
            if code != 0:
                status("fetching Zipkin's jar with Maven (first run only)")
                code, transcript = maven.run(
                    paths, arguments, offline=False, status=status, what="Zipkin"
                )
        except maven.MavenMissing as exc:
            raise ZipkinError(str(exc)) from exc
        fetched = partial / JAR_NAME
        if code != 0 or not fetched.is_file():
            shutil.rmtree(partial, ignore_errors=True)
            raise ZipkinError(f"Maven could not fetch {ARTIFACT}:\n{transcript}")
        # One rename: an interrupted fetch never leaves a truncated jar under the final name.
        fetched.replace(target)
        shutil.rmtree(partial, ignore_errors=True)
    return target


def command(paths: Layout, port: int) -> list[str]:
    """Zipkin on 127.0.0.1 only (Armeria binds every interface unless told), at a lower CPU
    priority: its start must not slow down the services' own, which `up` waits for."""
    nice = shutil.which("nice")
    return [
        *([nice, "-n", "10"] if nice else []),
        java_executable(),
        *JVM_OPTS,
        "-jar",
        str(jar(paths)),
        f"--armeria.ports[0].port={port}",
        "--armeria.ports[0].ip=127.0.0.1",
        "--armeria.ports[0].protocols[0]=http",
    ]


def environment(port: int) -> dict[str, str]:
    return {
        "QUERY_PORT": str(port),
        "STORAGE_TYPE": "mem",
        "MEM_MAX_SPANS": str(MAX_SPANS),
        # Spans arrive over HTTP only; Zipkin would otherwise read KAFKA_BOOTSTRAP_SERVERS, which
        # names the system's broker in a developer's shell, and consume a `zipkin` topic there.
        "COLLECTOR_KAFKA_ENABLED": "false",
        "KAFKA_BOOTSTRAP_SERVERS": "",
    }


def program(paths: Layout, port: int) -> Program:
    return Program(
        name=PROGRAM,
        command=command(paths, port),
        environment=environment(port),
        directory=paths.root,
    )


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def ui_url(port: int) -> str:
    return f"{base_url(port)}/zipkin/"


def spans_endpoint(port: int) -> str:
    """What the services post their spans to (`COULISSE_ZIPKIN_ENDPOINT`)."""
    return f"{base_url(port)}/api/v2/spans"


def healthy(port: int, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"{base_url(port)}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class ZipkinServer:
    """A Zipkin process of its own, outside supervisord (a test session's): pid file and log in
    `area`."""

    area: Path
    paths: Layout
    port: int = DEFAULT_PORT

    @property
    def pid_file(self) -> Path:
        return self.area / "zipkin.pid"

    @property
    def log_file(self) -> Path:
        return self.area / "zipkin.log"

    @property
    def url(self) -> str:
        return base_url(self.port)

    def _marker(self) -> str:
        # The pid file is this server's own; the jar in the command line proves the pid is not
        # reused by another process.
        return str(jar(self.paths))

    def start(self, timeout: float = 90.0) -> None:
        ensure_jar(self.paths)
        self.area.mkdir(parents=True, exist_ok=True)
        if procs.port_open(self.port):
            raise ZipkinError(f"port {self.port} is already in use by another process")
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command(self.paths, self.port),
                cwd=self.area,
                env={**os.environ, **environment(self.port)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        procs.write_pid(self.pid_file, process.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ZipkinError(
                    f"Zipkin exited with code {process.returncode}; end of {self.log_file}:\n"
                    f"{procs.tail(self.log_file)}"
                )
            if healthy(self.port):
                return
            time.sleep(0.3)
        self.stop()
        raise ZipkinError(f"Zipkin was not ready within {timeout:.0f} s; see {self.log_file}")

    def stop(self) -> None:
        pid = procs.running_pid(self.pid_file, self._marker())
        if pid is not None:
            procs.terminate(pid, self._marker(), timeout=15)
        self.pid_file.unlink(missing_ok=True)
