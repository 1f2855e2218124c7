"""A real single-node Apache Kafka broker (KRaft, combined broker and controller), without Docker.

The broker's jars come from Maven Central through `deploy/kafka/pom.xml` and are cached in
`.cache/kafka/lib`; the broker is a plain `java` process whose pid is written next to its data.
`coulisse up` runs it under supervisord (`program()`), which restarts it on the same data when it
dies; a test session starts it as a background process of its own (`start()`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coulisse.ops import maven, procs
from coulisse.ops.paths import Layout, layout
from coulisse.ops.supervise import INFRASTRUCTURE_PRIORITY, Program

Status = Callable[[str], None]

MAIN_CLASS = "kafka.Kafka"
PROGRAM = "kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
READY_LINE = "Kafka Server started"
JVM_OPTS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)


class KafkaError(RuntimeError):
    pass


def _quiet(_: str) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Jars


def _pom_digest(paths: Layout) -> str:
    return hashlib.sha256(paths.kafka_pom.read_bytes()).hexdigest()


def jars_ready(paths: Layout | None = None) -> bool:
    paths = paths or layout()
    marker = paths.kafka_lib / ".pom-sha256"
    return marker.is_file() and marker.read_text().strip() == _pom_digest(paths)


def _mvn(paths: Layout, output: Path, *, offline: bool, status: Status) -> tuple[int, str]:
    arguments = [
        "-f",
        str(paths.kafka_pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={output}",
    ]
    try:
        return maven.run(paths, arguments, offline=offline, status=status, what="Kafka jars")
    except maven.MavenMissing as exc:
        raise KafkaError(str(exc)) from exc


def ensure_jars(paths: Layout | None = None, status: Status = _quiet) -> Path:
    """The broker's classpath directory, fetched with Maven on first use (about a minute)."""
    paths = paths or layout()
    if jars_ready(paths):
        return paths.kafka_lib
    with procs.file_lock(paths.cache / "kafka" / ".lock"):
        if jars_ready(paths):
            return paths.kafka_lib
        partial = paths.cache / "kafka" / "lib.partial"
        shutil.rmtree(partial, ignore_errors=True)
        code, transcript = 1, ""
        if paths.maven_repo.is_dir():
            status("resolving Kafka jars from the local Maven cache")
            code, transcript = _mvn(paths, partial, offline=True, status=status)
        if code != 0:
            status("fetching Kafka jars with Maven (first run only, about a minute)")
            shutil.rmtree(partial, ignore_errors=True)
            code, transcript = _mvn(paths, partial, offline=False, status=status)
        if code != 0 or not any(partial.glob("kafka_2.13-*.jar")):
            raise KafkaError(f"Maven could not fetch the Kafka jars:\n{transcript}")
        (partial / ".pom-sha256").write_text(_pom_digest(paths) + "\n")
        # Swap in one rename, so an interrupted fetch never leaves a half classpath behind.
        shutil.rmtree(paths.kafka_lib, ignore_errors=True)
        partial.rename(paths.kafka_lib)
    return paths.kafka_lib


def java_executable() -> str:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise KafkaError("Java (17 or later) is not on PATH and JAVA_HOME is not set")
    return java


# ---------------------------------------------------------------------------------------------
# Configuration


def random_cluster_id() -> str:
    """What `StorageTool random-uuid` prints (Kafka's Uuid: URL-safe base64 of 16 random bytes)."""
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        # Kafka reserves the all-zero and "one" ids and refuses ids that begin with a dash.
        if not text.startswith("-") and int.from_bytes(raw, "big") > 1:
            return text


def server_properties(
    *, port: int, controller_port: int, data_dir: Path, partitions: int = 6
) -> str:
    """One node that is both broker and controller, sized for a laptop or a CI runner."""
    settings: dict[str, str | int] = {
        "process.roles": "broker,controller",
        "node.id": 1,
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": (
            f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
        ),
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        # Topics are created on purpose (coulisse.ops.topics): a typo must not create one.
        "auto.create.topics.enable": "false",
        "num.partitions": partitions,
        "default.replication.factor": 1,
        "min.insync.replicas": 1,
        # One node: every internal topic has one replica; 50 partitions each would be slow here.
        "offsets.topic.replication.factor": 1,
        "offsets.topic.num.partitions": partitions,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "transaction.state.log.num.partitions": partitions,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        "share.coordinator.state.topic.num.partitions": partitions,
        # A consumer group starts at once instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms": 0,
        "num.network.threads": 2,
        "num.io.threads": 4,
        "num.recovery.threads.per.data.dir": 1,
        "background.threads": 4,
        "log.cleaner.threads": 1,
        "log.cleaner.dedupe.buffer.size": 16 * 1024 * 1024,
    }
    lines = ["# Written by coulisse.ops.kafka; rewritten at every start."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def parse_properties(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


# ---------------------------------------------------------------------------------------------
# The node


@dataclass
class KafkaNode:
    """One broker whose state lives in `area`: server.properties, data/, kafka.pid, the log."""

    area: Path
    port: int = 9092
    controller_port: int = 9093
    log_file: Path | None = None
    paths: Layout | None = None

    def __post_init__(self) -> None:
        self.area = self.area.resolve()
        self.paths = self.paths or layout()
        if self.log_file is None:
            self.log_file = self.area / "kafka.log"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def properties_file(self) -> Path:
        return self.area / "server.properties"

    @property
    def data_dir(self) -> Path:
        return self.area / "data"

    @property
    def pid_file(self) -> Path:
        return self.area / "kafka.pid"

    @property
    def _marker(self) -> str:
        return f"{MAIN_CLASS} {self.properties_file}"

    @property
    def _format_record(self) -> Path:
        return self.area / "format.json"

    def pid(self) -> int | None:
        """The broker's pid if it is running (checked against its command line)."""
        return procs.running_pid(self.pid_file, self._marker)

    def start(self, status: Status = _quiet, timeout: float = 120.0) -> bool:
        """Start the broker, or reuse the one already running here. True if it was started now."""
        pid = self.pid()
        if pid is not None:
            running = parse_properties(self.properties_file.read_text())
            if running.get("listeners") == self._listeners and procs.port_open(self.port):
                status(f"Kafka already running (pid {pid})")
                return False
            status("Kafka is running with other ports: restarting it")
            self.stop()
        self.pid_file.unlink(missing_ok=True)
        lib = self.prepare(status)
        self.check_ports_free()
        assert self.log_file is not None
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_name(self.log_file.name + ".1"))
        status("starting Kafka")
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                self._java(lib, MAIN_CLASS, str(self.properties_file)),
                cwd=self.area,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C in the terminal that ran `up` does not reach it.
                start_new_session=True,
            )
        procs.write_pid(self.pid_file, process.pid)
        self._wait_ready(process, timeout)
        status(f"Kafka ready on {self.bootstrap_servers} (pid {process.pid})")
        return True

    def prepare(self, status: Status = _quiet) -> Path:
        """The jars, `server.properties` and the formatted storage: all a start needs. Returns
        the classpath folder."""
        lib = ensure_jars(self.paths, status)
        self.area.mkdir(parents=True, exist_ok=True)
        self.properties_file.write_text(
            server_properties(
                port=self.port, controller_port=self.controller_port, data_dir=self.data_dir
            )
        )
        self._format(lib, status)
        return lib

    def check_ports_free(self) -> None:
        for port in (self.port, self.controller_port):
            if procs.port_open(port):
                raise KafkaError(f"port {port} is already in use by another process")

    def program(self) -> Program:
        """The broker as supervisord runs it, in the foreground, after PostgreSQL and before the
        services; through `pidexec`, so that `kafka.pid` names it at every restart."""
        assert self.paths is not None
        return Program(
            name=PROGRAM,
            command=[
                sys.executable,
                "-m",
                "coulisse.ops.pidexec",
                str(self.pid_file),
                *self._java(self.paths.kafka_lib, MAIN_CLASS, str(self.properties_file)),
            ],
            environment={},
            directory=self.area,
            priority=INFRASTRUCTURE_PRIORITY + 1,
            # SIGTERM is a clean shutdown: the next start skips the log recovery.
            stop_wait=30,
            # A killed broker may find its port still held a moment: retried, not given up.
            start_retries=20,
        )

    def wait_serving(self, timeout: float = 120.0, *, since: int = 0) -> None:
        """The supervised broker says it started (in its log after byte `since`) and accepts
        connections."""
        assert self.log_file is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pid() is not None and procs.port_open(self.port):
                try:
                    with self.log_file.open("rb") as log:
                        # A log rotated meanwhile starts again from its beginning.
                        log.seek(since if log.seek(0, os.SEEK_END) >= since else 0)
                        started = READY_LINE.encode() in log.read()
                except FileNotFoundError:
                    started = False
                if started:
                    return
            time.sleep(0.2)
        raise KafkaError(
            f"Kafka was not ready within {timeout:.0f} s; end of {self.log_file}:\n"
            f"{procs.tail(self.log_file)}"
        )

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM (a clean shutdown), then SIGKILL after `timeout`. True if it was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        procs.terminate(pid, self._marker, timeout)
        self.pid_file.unlink(missing_ok=True)
        return True

    @property
    def _listeners(self) -> str:
        return parse_properties(
            server_properties(
                port=self.port, controller_port=self.controller_port, data_dir=self.data_dir
            )
        )["listeners"]

    def _java(self, lib: Path, *args: str) -> list[str]:
        assert self.paths is not None
        return [
            java_executable(),
            *JVM_OPTS,
            f"-Dlog4j2.configurationFile={self.paths.kafka_log_config}",
            "-cp",
            f"{lib}/*",
            *args,
        ]

    def _format(self, lib: Path, status: Status) -> None:
        """Format the storage once; the controller's address is recorded in it at that time."""
        if (self.data_dir / "meta.properties").is_file() and self._format_record.is_file():
            recorded = json.loads(self._format_record.read_text())
            if recorded.get("controller_port") != self.controller_port:
                raise KafkaError(
                    f"{self.data_dir} was formatted for controller port "
                    f"{recorded.get('controller_port')}; use that port, or delete {self.area} "
                    "(its topics are lost) to format it again"
                )
            return
        status("formatting Kafka storage")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        cluster_id = random_cluster_id()
        result = subprocess.run(
            self._java(
                lib,
                STORAGE_TOOL,
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(self.properties_file),
            ),
            cwd=self.area,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise KafkaError(f"formatting {self.data_dir} failed:\n{result.stdout[-3000:]}")
        self._format_record.write_text(
            json.dumps({"cluster_id": cluster_id, "controller_port": self.controller_port}) + "\n"
        )

    def _wait_ready(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        assert self.log_file is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise KafkaError(
                    f"Kafka exited with code {process.returncode} while starting; "
                    f"end of {self.log_file}:\n{procs.tail(self.log_file)}"
                )
            try:
                started = READY_LINE in self.log_file.read_text(errors="replace")
            except FileNotFoundError:
                started = False
            if started and procs.port_open(self.port):
                return
            time.sleep(0.2)
        self.stop(timeout=10)
        raise KafkaError(
            f"Kafka was not ready within {timeout:.0f} s; end of {self.log_file}:\n"
            f"{procs.tail(self.log_file)}"
        )
