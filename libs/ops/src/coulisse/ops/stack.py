"""The local system that `coulisse up` starts: PostgreSQL, Kafka, topics, databases, services.

PostgreSQL and Kafka run as plain processes with pid files under `.cache/run/` (they have their
own shutdown protocol and state on disk); the services run under supervisord, which restarts
them when they crash. `state.json` records what `up` chose, for `status` and `down`.
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
from dataclasses import asdict, dataclass, field

import httpx

from coulisse.ops import procs
from coulisse.ops.kafka import KafkaNode
from coulisse.ops.paths import Layout, short_hash
from coulisse.ops.postgres import PostgresCluster, ensure_service_database
from coulisse.ops.services import SERVICES, Service
from coulisse.ops.supervise import Program, Supervisor
from coulisse.ops.tokens import jwt_secret

Status = Callable[[str], None]


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
    database: str = "postgres"
    services: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


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
        return [s for s in SERVICES if s.name in self.state.services]

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
            "PYTHONUNBUFFERED": "1",
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
        return [
            Program(
                name=service.name,
                command=[sys.executable, "-m", service.module],
                environment=envs[service.name],
                directory=self.paths.root,
            )
            for service in self.services()
        ]

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


def _base_env() -> dict[str, str]:
    return dict(os.environ)
