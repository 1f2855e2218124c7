"""The system's services as real processes, started on demand by the end-to-end tests.

A plain module rather than the conftest, so test modules can name its types.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from coulisse.contracts.topics import dlq_topic
from coulisse.ops.procs import free_port
from coulisse.ops.testing import DatabaseFactory
from coulisse.ops.topics import Topic, create_topics
from coulisse.platform import testing
from coulisse.platform.clock import BUSINESS_ZONE

MODULES = {
    "customer": "coulisse.customer",
    "billing": "coulisse.billing",
    "collections": "coulisse.collections",
    "accounting-gateway": "coulisse.accounting_gateway",
    "reporting": "coulisse.reporting",
}
# The broker holds other tests' events too; those billing cannot apply (a fee for a customer it
# never saw) go to its dead-letter topic at once instead of after retries.
DEFAULT_ENV = {"billing": {"COULISSE_CONSUMER_MAX_ATTEMPTS": "1"}}


class ServiceProcesses:
    """Service processes started for one test, every clock starting at `clock_start`."""

    def __init__(
        self,
        make_database: DatabaseFactory,
        kafka_bootstrap: str,
        logs: Path,
        clock_start: datetime,
    ) -> None:
        self._make_database = make_database
        self._bootstrap = kafka_bootstrap
        self._logs = logs
        self.clock_start = clock_start
        self._started: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.databases: dict[str, str] = {}
        """Each started service's database URL, by service name."""
        self.logs = logs
        """Where each service's output goes: `<service>.log`."""
        self.customer_url: str | None = None

    @property
    def today(self) -> date:
        """The services' business date, for the dates a test expects."""
        return self.clock_start.astimezone(BUSINESS_ZONE).date()

    async def start(self, service: str, **extra: str) -> str:
        """Migrates a fresh database for `service` and starts its process; returns its URL.
        `ready()` waits until it answers."""
        module = MODULES[service]
        port = free_port()
        database_url = await self._make_database()
        # The consumers ask the customer service started before them for customers' keys.
        customer = {"COULISSE_CUSTOMER_URL": self.customer_url} if self.customer_url else {}
        env = testing.service_env(
            service,
            database_url=database_url,
            bootstrap=self._bootstrap,
            port=port,
            extra={**DEFAULT_ENV.get(service, {}), **customer, **extra},
            clock_start=self.clock_start,
        )
        await asyncio.to_thread(testing.migrate, module, env)
        url = f"http://127.0.0.1:{port}"
        self.databases[service] = database_url
        if service == "customer":
            self.customer_url = url
        self._started.append(
            (url, testing.start_service(module, env, self._logs / f"{service}.log"))
        )
        return url

    async def ready(self) -> None:
        """Every started service answers /readyz; fails at once if one of them exited."""
        await asyncio.gather(*(testing.wait_ready(url, process) for url, process in self._started))

    def stop(self) -> None:
        for _, process in self._started:
            testing.stop(process)


async def group_at_end(kafka_bootstrap: str, name: str, topics: Sequence[str]) -> str:
    """A consumer group of its own (with its dead-letter topic) that skips the other tests'
    events on the session's broker: the service under test reads only this test's."""
    group = f"{name}-e2e-{uuid.uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, [Topic(dlq_topic(group), partitions=1)])
    await testing.start_group_at_end(kafka_bootstrap, group, topics)
    return group
