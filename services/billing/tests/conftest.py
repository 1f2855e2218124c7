from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from billing_harness import Billing, billing_settings

from coulisse.billing.bootstrap import definition
from coulisse.billing.entrypoints.consumers import consumers
from coulisse.ops.postgres import create_database, drop_database
from coulisse.platform import testing
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import Runtime, create_app


@pytest.fixture(scope="module")
async def billing_database(postgres_admin_url: str) -> AsyncIterator[str]:
    """One fresh, migrated billing database per test module."""
    name = f"billing_{uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    await asyncio.to_thread(upgrade, definition.alembic_ini, url)
    yield url
    await drop_database(postgres_admin_url, name)


@pytest.fixture(scope="module")
async def billing(billing_database: str, kafka_bootstrap: str) -> AsyncIterator[Billing]:
    """The billing API in-process with its relay, shared by a module's tests (each test works on
    customers of its own). Consumed events are handed to the inbox consumer directly."""
    app = create_app(definition, billing_settings(billing_database, kafka_bootstrap, "api,relay"))
    async with testing.InProcessService(app) as client:
        runtime: Runtime = app.state.runtime
        [consumer] = consumers(runtime)
        yield Billing(client, billing_database, runtime, consumer, app)
