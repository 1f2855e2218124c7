from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from coulisse.customer.adapters.uow import CustomerUnitOfWork
from coulisse.customer.bootstrap import definition
from coulisse.customer.config import CustomerSettings
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock

# The instant the in-process service lives at: timestamps, request deadlines and token expiry
# are computed from it, never from the machine's date.
CLOCK_START = datetime(2026, 10, 15, 9, tzinfo=UTC)


@pytest.fixture
async def customer_service(
    make_database: DatabaseFactory, kafka_bootstrap: str
) -> AsyncIterator[testing.ServiceInProcess[CustomerSettings, CustomerUnitOfWork]]:
    """The customer API in-process on a fresh PostgreSQL database (no relay: outbox rows stay)."""
    async with testing.service_in_process(
        definition,
        database_url=await make_database(),
        kafka_bootstrap=kafka_bootstrap,
        clock=SettableClock(CLOCK_START),
    ) as service:
        yield service


@pytest.fixture
def customer_api(
    customer_service: testing.ServiceInProcess[CustomerSettings, CustomerUnitOfWork],
) -> httpx.AsyncClient:
    return customer_service.client
