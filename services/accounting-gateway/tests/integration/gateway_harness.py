"""The gateway in-process on PostgreSQL and the real broker, for the integration tests.

A plain module rather than a conftest: the service folder's hyphen keeps mypy from telling
conftest modules apart.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gateway_samples as samples
import httpx
import sqlalchemy as sa

from coulisse.accounting_gateway.adapters.rules_file import DEFAULT_RULES
from coulisse.accounting_gateway.bootstrap import definition
from coulisse.contracts.topics import (
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
    dlq_topic,
)
from coulisse.ops.testing import DatabaseFactory
from coulisse.ops.topics import Topic, create_topics
from coulisse.platform import testing
from coulisse.platform.clock import Clock, SettableClock
from coulisse.platform.db import create_engine
from coulisse.platform.tables import inbox_table

CONSUMED = (BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS)
SIREN = "732829320"
# Where the gateway's clock stands unless a test says otherwise: late in 2026, after the dates
# of the events and entries the tests book, so "today" (default entry dates, trial balances,
# which months may close) never depends on the machine's date.
CLOCK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)


@dataclass
class Gateway:
    """A gateway running in-process: its HTTP client, database, consumer group and clock."""

    client: httpx.AsyncClient
    database_url: str
    group: str
    bootstrap: str
    clock: Clock

    async def sql(self, query: Any) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                return list((await connection.execute(query)).all())
        finally:
            await engine.dispose()

    async def applied(self) -> int:
        [(count,)] = await self.sql(sa.select(sa.func.count()).select_from(inbox_table))
        return int(count)

    async def caught_up(self, timeout: float = 60) -> None:
        """Every record produced so far is applied and its offset committed."""

        async def done() -> bool:
            return await samples.lag(self.bootstrap, self.group, CONSUMED) == 0

        await testing.eventually(
            done, what="the gateway caught up with the topics", timeout=timeout
        )

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


async def new_consumer_group(bootstrap: str) -> str:
    """A consumer group of its own, with its dead-letter topic, starting at the topics' end."""
    group = f"accounting-gateway-test-{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [Topic(dlq_topic(group), partitions=1)])
    await samples.start_group_at_end(bootstrap, group, CONSUMED)
    return group


def copy_of_default_rules(folder: Path) -> Path:
    """A copy of the default rules that a test may break and fix."""
    path = folder / "rules.yaml"
    path.write_text(DEFAULT_RULES.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def running_gateway(
    make_database: DatabaseFactory,
    bootstrap: str,
    rules: Path = DEFAULT_RULES,
    *,
    clock_start: datetime = CLOCK_START,
) -> AsyncIterator[Gateway]:
    """The gateway's API, consumer and relay in-process, on a fresh database and consumer group,
    its clock standing at `clock_start`."""
    database_url = await make_database()
    group = await new_consumer_group(bootstrap)
    async with testing.service_in_process(
        definition,
        database_url=database_url,
        kafka_bootstrap=bootstrap,
        roles="api,relay,consumers",
        clock=SettableClock(clock_start),
        env={
            "ACCOUNTING_RULES_PATH": str(rules),
            "ACCOUNTING_SIREN": SIREN,
            "COULISSE_CONSUMER_GROUP": group,
            "COULISSE_CONSUMER_MAX_ATTEMPTS": "2",
        },
    ) as service:
        client = service.client
        client.headers.update(testing.auth_headers(["accounting:read", "accounting:write"]))
        yield Gateway(client, database_url, group, bootstrap, service.clock)
