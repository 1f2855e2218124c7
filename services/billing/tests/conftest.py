from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from billing_harness import CLOCK_START, Billing, running_billing

from coulisse.billing.bootstrap import definition
from coulisse.ops.postgres import create_database, drop_database
from coulisse.platform.clock import SettableClock
from coulisse.platform.migrations import upgrade


@pytest.fixture(scope="module")
async def billing_database(postgres_admin_url: str) -> AsyncIterator[str]:
    """One fresh, migrated billing database per test module."""
    name = f"billing_{uuid4().hex[:12]}"
    url = await create_database(postgres_admin_url, name)
    await asyncio.to_thread(upgrade, definition.alembic_ini, url)
    yield url
    await drop_database(postgres_admin_url, name)


@pytest.fixture(scope="module")
def billing_clock() -> SettableClock:
    """Billing's clock in a module's tests; a module that needs another date overrides it."""
    return SettableClock(CLOCK_START)


@pytest.fixture(scope="module")
async def billing(
    billing_database: str, kafka_bootstrap: str, billing_clock: SettableClock
) -> AsyncIterator[Billing]:
    """The billing API in-process with its relay, shared by a module's tests (each test works on
    customers of its own). Consumed events are handed to the inbox consumer directly."""
    async with running_billing(
        billing_database, kafka_bootstrap=kafka_bootstrap, roles="api,relay", clock=billing_clock
    ) as found:
        yield found
