"""pytest plugin: a real Kafka broker and a real PostgreSQL for the tests, started on demand.

Fixtures: `kafka_bootstrap` (session), `postgres_admin_url` (session, a superuser
`postgresql://` URL) and `make_database` (a factory: `await make_database()` creates a fresh
empty database and returns its `postgresql+asyncpg://` URL; every one is dropped at the end);
`smtp_server`, a real SMTP server (aiosmtpd) on a free port keeping what it receives;
`zipkin_url` (session), the base URL of a Zipkin server the services under test send spans to.
`private_stack()` gives a test that kills processes a whole supervised stack of its own.

Where each comes from, first match wins:
1. `KAFKA_BOOTSTRAP_SERVERS` / `COULISSE_TEST_POSTGRES_URL` from the environment;
2. containers (testcontainers) when a Docker engine answers;
3. a broker and a cluster started from the project's own scripts, on free ports, in a folder
   under `.cache/test-infra/`, stopped and deleted at the end of the session. When PostgreSQL's
   user cannot enter the checkout, the cluster's files are in a private folder under the
   system's temporary directory instead, linked from the session folder.

Nothing starts unless a selected test needs it; what is needed starts in the background as soon
as collection ends (Kafka and PostgreSQL in parallel, while the unit tests run). The system's
topics are created once per session, when Kafka is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import URL

from coulisse.ops import procs
from coulisse.ops.kafka import KafkaNode, jars_ready
from coulisse.ops.paths import Layout, layout
from coulisse.ops.postgres import (
    PostgresCluster,
    create_database,
    drop_database,
    is_private_folder,
)
from coulisse.ops.stack import Stack, State
from coulisse.ops.supervise import Supervisor
from coulisse.ops.topics import create_topics
from coulisse.ops.zipkin import ZipkinServer

KAFKA_FIXTURES = frozenset({"kafka_bootstrap"})
POSTGRES_FIXTURES = frozenset({"postgres_admin_url", "make_database"})
ZIPKIN_FIXTURES = frozenset({"zipkin_url"})
KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
POSTGRES_ENV = "COULISSE_TEST_POSTGRES_URL"
# A Zipkin already running (its base URL); else one is started from the jar, fetched like Kafka's.
ZIPKIN_ENV = "COULISSE_TEST_ZIPKIN_URL"
# auto (default): containers when Docker answers, else local processes; local; docker.
MODE_ENV = "COULISSE_TEST_INFRA"
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
POSTGRES_IMAGE = "postgres:16-alpine"


class DatabaseFactory(Protocol):
    async def __call__(self, prefix: str = "test") -> str: ...


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def clean_stale_sessions(paths: Layout) -> None:
    """Stop and delete what earlier sessions left behind when they were killed."""
    base = paths.test_infra
    if base.is_dir():
        for folder in base.iterdir():
            owner = procs.read_pid(folder / "owner.pid")
            if owner is not None and procs.is_running(owner, "pytest"):
                continue
            # A test's own supervised stack first: it would restart what is stopped below.
            with contextlib.suppress(Exception):
                Supervisor(folder).stop(timeout=60)
            with contextlib.suppress(Exception):
                KafkaNode(folder / "kafka", paths=paths).stop(timeout=10)
            with contextlib.suppress(Exception):
                ZipkinServer(folder / "zipkin", paths).stop()
            _remove_cluster(PostgresCluster(folder / "postgres"))
            shutil.rmtree(folder, ignore_errors=True)
    # A private cluster folder whose session folder is gone (the link was deleted with it).
    # The temporary directory is everybody's: only a folder the server's user alone owns is
    # taken for one of ours, never a link someone else planted there.
    prefix = paths.private_dir("test-").name
    for private in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        session = base / private.name.removeprefix(prefix)
        if not session.exists() and is_private_folder(private):
            _remove_cluster(PostgresCluster(private))


def _remove_cluster(cluster: PostgresCluster) -> None:
    with contextlib.suppress(Exception):
        cluster.stop(timeout=10)
    with contextlib.suppress(Exception):
        cluster.remove_files()


class TestInfrastructure:
    """Starts each dependency at most once per session and undoes it at the end."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, paths: Layout) -> None:
        self.paths = paths
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="test-infra")
        self._lock = threading.Lock()
        self._kafka: Future[str] | None = None
        self._postgres: Future[str] | None = None
        self._zipkin: Future[str] | None = None
        self._folder: Path | None = None
        self._docker: bool | None = None
        self._cleanups: list[Callable[[], object]] = []
        self._databases: list[str] = []
        self._own_postgres = False

    # -- choice of source ---------------------------------------------------------------------

    def _use_docker(self) -> bool:
        mode = os.environ.get(MODE_ENV, "auto")
        if mode == "local":
            return False
        if mode == "docker":
            return True
        with self._lock:
            if self._docker is None:
                self._docker = docker_available()
            return self._docker

    def _session_folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                base = self.paths.test_infra
                base.mkdir(parents=True, exist_ok=True)
                base.chmod(0o755)
                clean_stale_sessions(self.paths)
                folder = base / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
                folder.mkdir()
                # PostgreSQL runs as another user and must traverse it.
                folder.chmod(0o755)
                procs.write_pid(folder / "owner.pid", os.getpid())
                self._folder = folder
            return self._folder

    # -- Kafka --------------------------------------------------------------------------------

    def kafka(self) -> Future[str]:
        with self._lock:
            if self._kafka is None:
                self._kafka = self._pool.submit(self._start_kafka)
            return self._kafka

    def _start_kafka(self) -> str:
        bootstrap = os.environ.get(KAFKA_ENV)
        if not bootstrap:
            bootstrap = self._kafka_container() if self._use_docker() else self._kafka_node()
        asyncio.run(create_topics(bootstrap))
        return bootstrap

    def _kafka_node(self) -> str:
        node = KafkaNode(
            self._session_folder() / "kafka",
            port=procs.free_port(),
            controller_port=procs.free_port(),
            paths=self.paths,
        )
        self._cleanups.append(node.stop)
        node.start()
        return node.bootstrap_servers

    def _kafka_container(self) -> str:
        from testcontainers.community.kafka import KafkaContainer

        container = (
            KafkaContainer(KAFKA_IMAGE)
            .with_kraft()
            .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
            .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        )
        self._cleanups.append(container.stop)
        container.start()
        return str(container.get_bootstrap_server())

    # -- PostgreSQL ---------------------------------------------------------------------------

    def postgres(self) -> Future[str]:
        with self._lock:
            if self._postgres is None:
                self._postgres = self._pool.submit(self._start_postgres)
            return self._postgres

    def _start_postgres(self) -> str:
        url = os.environ.get(POSTGRES_ENV)
        if url:
            return url
        if self._use_docker():
            return self._postgres_container()
        folder = self._session_folder()
        cluster = PostgresCluster(
            folder / "postgres",
            port=procs.free_port(),
            durable=False,
            private=self.paths.private_dir(f"test-{folder.name}"),
        )
        if not cluster.available:
            raise RuntimeError(
                "integration tests need PostgreSQL: install its server binaries (or set "
                f"COULISSE_PG_BIN), set {POSTGRES_ENV}, or run a Docker engine"
            )
        self._own_postgres = True
        # Undone in reverse order: stop, then delete (the session folder holds only the link).
        self._cleanups.append(cluster.remove_files)
        self._cleanups.append(cluster.stop)
        cluster.start()
        return cluster.admin_url

    def _postgres_container(self) -> str:
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(
            POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres"
        )
        self._cleanups.append(container.stop)
        container.start()
        return URL.create(
            "postgresql",
            username="postgres",
            password="postgres",
            host=container.get_container_host_ip(),
            port=int(container.get_exposed_port(5432)),
            database="postgres",
        ).render_as_string(hide_password=False)

    # -- Zipkin ---------------------------------------------------------------------------------

    def zipkin(self) -> Future[str]:
        with self._lock:
            if self._zipkin is None:
                self._zipkin = self._pool.submit(self._start_zipkin)
            return self._zipkin

    def _start_zipkin(self) -> str:
        url = os.environ.get(ZIPKIN_ENV)
        if url:
            return url.rstrip("/")
        server = ZipkinServer(self._session_folder() / "zipkin", self.paths, port=procs.free_port())
        self._cleanups.append(server.stop)
        server.start()
        return server.url

    async def new_database(self, admin_url: str, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        url = await create_database(admin_url, name)
        self._databases.append(name)
        return url

    # -- end of session -----------------------------------------------------------------------

    def close(self) -> None:
        for future in (self._kafka, self._postgres, self._zipkin):
            if future is not None:
                # A start still running must finish before it can be undone.
                with contextlib.suppress(Exception):
                    future.result()
        if self._databases and self._postgres is not None and not self._own_postgres:
            with contextlib.suppress(Exception):
                admin_url = self._postgres.result()
                asyncio.run(self._drop_databases(admin_url))
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        self._pool.shutdown(wait=True)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    async def _drop_databases(self, admin_url: str) -> None:
        for name in self._databases:
            await drop_database(admin_url, name)


_KEY = pytest.StashKey[TestInfrastructure]()


def _infrastructure(config: pytest.Config) -> TestInfrastructure:
    infra = config.stash.get(_KEY, None)
    if infra is None:
        infra = TestInfrastructure(layout())
        config.stash[_KEY] = infra
    return infra


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start what the selected tests will need now, in the background."""
    if session.config.option.collectonly:
        return
    needed: set[str] = set()
    for item in session.items:
        needed.update(getattr(item, "fixturenames", ()))
    infra = _infrastructure(session.config)
    if needed & KAFKA_FIXTURES:
        if not os.environ.get(KAFKA_ENV) and not jars_ready(infra.paths):
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    "coulisse: fetching the Kafka jars with Maven in the background "
                    "(first run only, up to a minute)"
                )
        infra.kafka()
    if needed & POSTGRES_FIXTURES:
        infra.postgres()
    if needed & ZIPKIN_FIXTURES:
        infra.zipkin()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    infra = session.config.stash.get(_KEY, None)
    if infra is not None:
        infra.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(pytestconfig: pytest.Config) -> str:
    """Bootstrap servers of a real broker on which the system's topics exist."""
    return _infrastructure(pytestconfig).kafka().result()


@pytest.fixture(scope="session")
def postgres_admin_url(pytestconfig: pytest.Config) -> str:
    """A `postgresql://` URL with superuser rights."""
    return _infrastructure(pytestconfig).postgres().result()


@pytest.fixture(scope="session")
def zipkin_url(pytestconfig: pytest.Config) -> str:
    """Base URL of a Zipkin server (in-memory storage): services send spans to
    `<url>/api/v2/spans`, tests read traces at `<url>/api/v2/trace/<id>`."""
    return _infrastructure(pytestconfig).zipkin().result()


@pytest.fixture
def make_database(pytestconfig: pytest.Config, postgres_admin_url: str) -> DatabaseFactory:
    """`await make_database()` → the `postgresql+asyncpg://` URL of a new, empty database."""
    infra = _infrastructure(pytestconfig)

    async def make(prefix: str = "test") -> str:
        return await infra.new_database(postgres_admin_url, prefix)

    return make


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        found = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(found, EmailMessage)
        return found


@dataclass
class SmtpServer:
    """aiosmtpd's handler, on `port`: keeps what it accepted (from the server's own thread).

    `hold()` makes it wait before answering a message's DATA, until `release()`: a test then
    decides when a sender learns that its mail went out."""

    port: int
    received: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    open: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.open.set()

    def hold(self) -> None:
        self.open.clear()

    def release(self) -> None:
        self.open.set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.open.is_set():
            await asyncio.to_thread(self.open.wait, 60)
        content = envelope.original_content or b""
        with self.lock:
            self.received.append(
                ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), bytes(content))
            )
        return "250 OK"

    def mails(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.received)

    def environment(self) -> dict[str, str]:
        """What points collections' notice sender at this server."""
        return {
            "COULISSE_SMTP_HOST": "127.0.0.1",
            "COULISSE_SMTP_PORT": str(self.port),
            "COULISSE_SMTP_SECURITY": "none",
        }


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(procs.free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@contextlib.contextmanager
def private_stack(name: str, services: Sequence[str] = ()) -> Iterator[Stack]:
    """A stack like `coulisse up`'s, for a test that kills its processes: a run folder of its
    own under `.cache/test-infra/` (owned by this session, so that another one does not take it
    for a leftover), every port free, never the session's broker or cluster nor a developer's
    stack. Not started (`stack.start()` or `stack.start_infrastructure()`); stopped and deleted
    at the end, with the cluster's private folder if there is one."""
    paths = layout()
    run = paths.test_infra / f"{name}-{uuid.uuid4().hex[:8]}"
    procs.write_pid(run / "owner.pid", os.getpid())
    # PostgreSQL runs as another user and must traverse it.
    run.chmod(0o755)
    state = State(
        kafka_port=procs.free_port(),
        kafka_controller_port=procs.free_port(),
        postgres_port=procs.free_port(),
        mail_port=procs.free_port(),
        services=list(services),
        service_ports={service: procs.free_port() for service in services},
    )
    stack = Stack(Layout(paths.root, run), state)
    stack.save()
    try:
        yield stack
    finally:
        with contextlib.suppress(Exception):
            stack.stop()
        _remove_cluster(stack.postgres)
        shutil.rmtree(run, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> list[str]:
    sources = [
        f"{what}: {'from ' + env if os.environ.get(env) else 'started on demand'}"
        for env, what in ((KAFKA_ENV, "kafka"), (POSTGRES_ENV, "postgres"))
    ]
    return [f"coulisse test infrastructure: {'; '.join(sources)}"]


__all__ = [
    "DatabaseFactory",
    "ReceivedMail",
    "SmtpServer",
    "TestInfrastructure",
    "kafka_bootstrap",
    "make_database",
    "postgres_admin_url",
    "private_stack",
    "smtp_server",
    "zipkin_url",
]
