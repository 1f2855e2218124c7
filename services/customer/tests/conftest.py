from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from coulisse.customer.bootstrap import definition
from coulisse.customer.config import CustomerSettings
from coulisse.platform import testing
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import create_app


async def customer_app(database_url: str, bootstrap: str) -> Any:
    await asyncio.to_thread(upgrade, definition.alembic_ini, database_url)
    settings = CustomerSettings(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        COULISSE_JWT_SECRET=testing.TEST_SECRET,
        COULISSE_ENV="test",
        COULISSE_ROLES="api",
    )
    return create_app(definition, settings)


@pytest.fixture
async def customer_api(
    make_database: Any, kafka_bootstrap: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The customer API in-process on a fresh PostgreSQL database (no relay: outbox rows stay)."""
    app = await customer_app(await make_database(), kafka_bootstrap)
    async with testing.InProcessService(app) as client:
        yield client
