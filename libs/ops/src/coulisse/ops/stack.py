"""The local system that `coulisse up` starts: PostgreSQL, Kafka, topics, databases, services.

Everything runs under supervisord, which restarts what dies: PostgreSQL and Kafka first (their
pid files under `.cache/run/` still name them, for `down` when supervisord is gone), then the
services once their databases are migrated. `state.json` records what `up` chose, for `status`
and `down`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace

import httpx

from coulisse.ops import procs, restarts, zipkin
from coulisse.ops.kafka import PROGRAM as KAFKA
from coulisse.ops.kafka import KafkaNode, ensure_jars
from coulisse.ops.mailsink import DEFAULT_PORT as DEFAULT_MAIL_PORT
from coulisse.ops.paths import Layout, short_hash
from coulisse.ops.postgres import PROGRAM as POSTGRES
from coulisse.ops.postgres import PostgresCluster, PostgresError, ensure_service_database
from coulisse.ops.services import SERVICES, Service, by_name
from coulisse.ops.supervise import Program, Supervisor
from coulisse.ops.tokens import jwt_secret
from coulisse.ops.topics import create_topics
from coulisse.ops.zipkin import DEFAULT_PORT as DEFAULT_ZIPKIN_PORT

Status = Callable[[str], None]
MAILSINK = "mailsink"
SERVICE_ROLES = "api,consumers,workers"
RELAY_ROLES = "relay"


def _quiet(_: str) -> None:
    pass


class NotReady(RuntimeError):
    def __init__(self, service: str, detail: str, log_tail: str) -> None:
        super().__init__(f"{service} is not ready: {detail}")
        self.service = service
        self.detail = detail
        self.log_tail = log_tail


@dataclass
class State:
    """What the last `up` chose; read back by `status` and `down`."""

    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 55432
    mail_port: int = DEFAULT_MAIL_PORT
    zipkin_port: int = DEFAULT_ZIPKIN_PORT
    traces: bool = False
    """Whether `up` runs Zipkin and the services send it their spans."""
    database: str = "postgres"
    services: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    service_ports: dict[str, int] = field(default_factory=dict)
    """Ports other than those of `services.py`, by service name (a second stack's)."""


@dataclass
class Stack:
    paths: Layout
    state: State

    @classmethod
    def load(cls, paths: Layout) -> Stack:
        try:
            state = State(**json.loads((paths.run / "state.json").read_text()))
        except (FileNotFoundError, TypeError, ValueError):
            state = State()
        return cls(paths, state)

    def save(self) -> None:
        self.paths.run.mkdir(parents=True, exist_ok=True)
        (self.paths.run / "state.json").write_text(json.dumps(asdict(self.state), indent=2) + "\n")

    @property
    def default_run(self) -> bool:
        """Whether this is the checkout's own run folder (`.cache/run/`), not COULISSE_RUN_DIR's."""
        return self.paths.run == self.paths.cache / "run"

    def choose_ports(self, services: Sequence[str], **given: int | None) -> None:
        """The ports `up` gives what it starts (`given`: State's port fields, None when not
        asked for). A port asked for wins. The default run folder keeps the documented ports
        (Kafka 9092, PostgreSQL 55432, services 8001-8005...). Another run folder keeps the ports
        its last `up` chose, and takes a free one for any other: a second stack never collides
        with the default one (whose ports it never takes by default) nor with another."""
        defaults = State()
        chosen_before = not self.default_run and (self.paths.run / "state.json").is_file()
        taken: set[int] = set()

        def free() -> int:
            port = procs.free_port()
            while port in taken:  # the system may hand the same free port out twice
                port = procs.free_port()
            taken.add(port)
            return port

        for name, value in given.items():
            default = getattr(defaults, name)
            if value is not None:
                setattr(self.state, name, value)
            elif self.default_run:
                setattr(self.state, name, default)
            elif not chosen_before or getattr(self.state, name) == default:
                setattr(self.state, name, free())
        if self.default_run:
            self.state.service_ports = {}
            return
        kept = self.state.service_ports if chosen_before else {}
        self.state.service_ports = {name: kept.get(name) or free() for name in services}

    @property
    def kafka(self) -> KafkaNode:
        return KafkaNode(
            self.paths.run / "kafka",
            port=self.state.kafka_port,
            controller_port=self.state.kafka_controller_port,
            log_file=self.paths.logs / "kafka.log",
            paths=self.paths,
        )

    @property
    def postgres(self) -> PostgresCluster:
        # Another run folder of the same checkout (COULISSE_RUN_DIR) gets its own private one.
        default_run = self.paths.run == self.paths.cache / "run"
        purpose = "postgres" if default_run else f"postgres-{short_hash(str(self.paths.run))}"
        return PostgresCluster(
            self.paths.run / "postgres",
            port=self.state.postgres_port,
            log_file=self.paths.logs / "postgres.log",
            private=self.paths.private_dir(purpose),
        )

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.paths.run)

    def services(self) -> list[Service]:
        return [
            replace(s, port=self.state.service_ports.get(s.name, s.port))
            for s in SERVICES
            if s.name in self.state.services
        ]

    def service(self, name: str) -> Service:
        found = next((s for s in self.services() if s.name == name), None)
        if found is None:
            raise KeyError(f"{name} is not part of this stack")
        return found

    # -- PostgreSQL and Kafka ------------------------------------------------------------------

    def infrastructure_programs(self) -> list[Program]:
        """supervisord's listener of restarts, PostgreSQL (unless SQLite) and Kafka."""
        programs = [restarts.program(self.paths.run, self.paths.root)]
        if self.state.database == "postgres":
            programs.append(self.postgres.program())
        return [*programs, self.kafka.program()]

    def start_infrastructure(self, status: Status = _quiet, timeout: float = 120.0) -> None:
        """PostgreSQL and Kafka under supervisord, the services left as they are; returns once
        both accept connections. A broker or cluster an older `up` started outside supervisord
        is stopped first (cleanly), then supervised on the same data."""
        before = self.supervisor.processes()
        postgres = self.postgres if self.state.database == "postgres" else None
        kafka = self.kafka
        if postgres is not None:
            pid = postgres.pid()
            if pid is not None and before.get(POSTGRES, {}).get("pid") != pid:
                status("PostgreSQL runs outside supervisord: stopping it to supervise it")
                postgres.stop()
            postgres.prepare(status)
            if postgres.pid() is None and procs.port_open(postgres.port):
                raise PostgresError(f"port {postgres.port} is already in use by another process")
        pid = kafka.pid()
        if pid is not None and before.get(KAFKA, {}).get("pid") != pid:
            status("Kafka runs outside supervisord: stopping it to supervise it")
            kafka.stop()
        kafka.prepare(status)
        if kafka.pid() is None:
            kafka.check_ports_free()
        assert kafka.log_file is not None
        log_size = kafka.log_file.stat().st_size if kafka.log_file.exists() else 0
        status("starting PostgreSQL and Kafka under supervisord")
        self.supervisor.apply(self.infrastructure_programs(), partial=True)
        if postgres is not None:
            status("waiting for PostgreSQL")
            postgres.wait_accepting(timeout)
        status("waiting for Kafka")
        pid = self.supervisor.processes().get(KAFKA, {}).get("pid")
        same = bool(pid) and pid == before.get(KAFKA, {}).get("pid")
        if not (same and procs.port_open(kafka.port)):
            kafka.wait_serving(timeout, since=0 if same else log_size)
        self.wait_counting_restarts(timeout)

    def wait_counting_restarts(self, timeout: float) -> None:
        """Until the listener of restarts runs: supervisord hands it no event before (it counts
        as running after 3 s up), so a death in the first seconds would go uncounted."""
        deadline = time.monotonic() + timeout
        while self.supervisor.processes().get(restarts.PROGRAM, {}).get("statename") != "RUNNING":
            if time.monotonic() > deadline:
                raise RuntimeError("supervisord's listener of restarts is not running")
            time.sleep(0.2)

    def start(self, status: Status = _quiet, timeout: float = 120.0) -> None:
        """What `coulisse up` starts, without demo data: for a stack that code drives (a test's,
        on ports of its own)."""
        ensure_jars(self.paths, status)
        self.start_infrastructure(status, timeout)
        asyncio.run(create_topics(self.kafka.bootstrap_servers))
        services = self.services()
        urls = asyncio.run(self.database_urls(services))
        envs = {s.name: self.environment(s, urls[s.name]) for s in services}
        self.migrate(envs)
        self.supervisor.apply(self.programs(envs))
        asyncio.run(self.wait_ready(timeout, status))

    def stop(self) -> None:
        """Everything, as `coulisse down` does: supervisord, then what still runs without it."""
        self.supervisor.stop()
        self.kafka.stop()
        if self.state.database == "postgres":
            self.postgres.stop()

    # -- databases --------------------------------------------------------------------------

    def sqlite_url(self, service: Service) -> str:
        return f"sqlite+aiosqlite:///{self.paths.run / (service.package + '.sqlite')}"

    async def database_urls(self, services: Sequence[Service]) -> dict[str, str]:
        if self.state.database != "postgres":
            return {s.name: self.sqlite_url(s) for s in services}
        admin = self.postgres.admin_url
        urls = await asyncio.gather(*(ensure_service_database(admin, s.package) for s in services))
        return {s.name: url for s, url in zip(services, urls, strict=True)}

    # -- processes --------------------------------------------------------------------------

    def environment(self, service: Service, database_url: str) -> dict[str, str]:
        """What a service process reads (see coulisse.platform.settings)."""
        return {
            "COULISSE_ENV": "local",
            "COULISSE_SERVICE": service.name,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(service.port),
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "COULISSE_JWT_SECRET": jwt_secret(self.paths.jwt_secret),
            "COULISSE_CUSTOMER_URL": self.customer_url(),
            "PYTHONUNBUFFERED": "1",
            **self.collections_environment(service),
            **self.tracing_environment(),
        }

    def customer_url(self) -> str:
        """Where the consumers ask for customers' keys: this stack's customer service."""
        port = self.state.service_ports.get("customer", by_name("customer").port)
        return f"http://127.0.0.1:{port}"

    def tracing_environment(self) -> dict[str, str]:
        """Spans go to the local Zipkin when `up` runs one; otherwise they stay in the process."""
        if not self.state.traces:
            return {"COULISSE_TRACES_EXPORTER": "none"}
        return {
            "COULISSE_TRACES_EXPORTER": "zipkin",
            "COULISSE_ZIPKIN_ENDPOINT": zipkin.spans_endpoint(self.state.zipkin_port),
        }

    def collections_environment(self, service: Service) -> dict[str, str]:
        """Collections' notice sender mails the local sink (`coulisse mails` shows them), and
        dunning runs by itself every morning."""
        if service.name != "collections":
            return {}
        return {
            "COULISSE_SMTP_HOST": "127.0.0.1",
            "COULISSE_SMTP_PORT": str(self.state.mail_port),
            "COULISSE_SMTP_SECURITY": "none",
            "COULISSE_DUNNING_DAILY_AT": DAILY_DUNNING_AT,
        }

    def migrate(self, envs: Mapping[str, Mapping[str, str]]) -> None:
        """`python -m coulisse.<package> migrate` for every service, in parallel."""

        def run(service: Service) -> tuple[Service, subprocess.CompletedProcess[str]]:
            result = subprocess.run(
                [sys.executable, "-m", service.module, "migrate"],
                env={**_base_env(), **envs[service.name]},
                cwd=self.paths.root,
                capture_output=True,
                text=True,
            )
            return service, result

        with ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(run, self.services()))
        failures = [
            f"{service.name}:\n{(result.stdout + result.stderr)[-2500:]}"
            for service, result in results
            if result.returncode != 0
        ]
        if failures:
            raise RuntimeError("migrations failed for " + "\n\n".join(failures))

    def programs(self, envs: Mapping[str, Mapping[str, str]]) -> list[Program]:
        """Each service runs as two programs: its HTTP API, consumers and workers in one, its
        outbox relay in another (`<service>-relay`). The relay then has a core's time of its
        own instead of sharing one event loop with the consumers (the gateway's drain, measured
        in docs/operations.md). Several relays are safe: one at a time holds the service's relay
        lock and publishes."""
        services = [
            Program(
                name=program,
                command=[sys.executable, "-m", service.module],
                environment={**envs[service.name], "COULISSE_ROLES": roles},
                directory=self.paths.root,
            )
            for service in self.services()
            for program, roles in (
                (service.name, SERVICE_ROLES),
                (service.relay_program, RELAY_ROLES),
            )
        ]
        traces = [zipkin.program(self.paths, self.state.zipkin_port)] if self.state.traces else []
        return [*self.infrastructure_programs(), *services, self.mailsink(), *traces]

    def mailsink(self) -> Program:
        """The local SMTP server that keeps every mail in `paths.mail` (see mailsink.py)."""
        return Program(
            name=MAILSINK,
            command=[
                sys.executable,
                "-m",
                "coulisse.ops.mailsink",
                "--port",
                str(self.state.mail_port),
                "--dir",
                str(self.paths.mail),
            ],
            environment={"PYTHONUNBUFFERED": "1"},
            directory=self.paths.root,
        )

    async def wait_ready(self, timeout: float = 120.0, status: Status | None = None) -> None:
        """Every service answers 200 on /readyz; otherwise name the first one that does not."""
        pending = {s.name: s for s in self.services()}
        last: dict[str, str] = dict.fromkeys(pending, "no answer yet")
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=5) as client:
            while pending:
                for name, service in list(pending.items()):
                    last[name], ready = await readyz(client, service)
                    if ready:
                        del pending[name]
                if not pending:
                    return
                if status is not None:
                    status(f"waiting for {', '.join(pending)} to be ready")
                processes = self.supervisor.processes()
                for name in pending:
                    if processes.get(name, {}).get("statename") == "FATAL":
                        raise NotReady(
                            name,
                            "it keeps crashing (supervisord gave up)",
                            procs.tail(self.supervisor.log(name)),
                        )
                if time.monotonic() > deadline:
                    name = next(iter(pending))
                    raise NotReady(
                        name,
                        f"no ready answer within {timeout:.0f} s ({last[name]})",
                        procs.tail(self.supervisor.log(name)),
                    )
                await asyncio.sleep(0.5)


async def readyz(client: httpx.AsyncClient, service: Service) -> tuple[str, bool]:
    try:
        response = await client.get(f"{service.base_url}/readyz")
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})", False
    if response.status_code == 200:
        return "ready", True
    try:
        detail = str(response.json().get("detail", response.text))
    except ValueError:
        detail = response.text
    return f"{response.status_code}: {detail[:200]}", False


DAILY_DUNNING_AT = "07:00"
"""Paris time: the local stack's daily dunning run."""


def _base_env() -> dict[str, str]:
    return dict(os.environ)
