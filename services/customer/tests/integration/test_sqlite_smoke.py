"""The embedded SQLite default works end to end: migrations, the API, the outbox and the relay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from coulisse.contracts.topics import CUSTOMER_EVENTS
from coulisse.customer.bootstrap import definition
from coulisse.customer.config import CustomerSettings
from coulisse.platform import testing
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import create_app

pytestmark = pytest.mark.integration


async def test_customer_service_on_sqlite_publishes_its_events(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'customer.sqlite'}"
    await asyncio.to_thread(upgrade, definition.alembic_ini, database_url)
    settings = CustomerSettings(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        COULISSE_JWT_SECRET=testing.TEST_SECRET,
        COULISSE_ROLES="api,relay",
    )
    async with testing.InProcessService(create_app(definition, settings)) as client:
        response = await client.post(
            "/v1/customers",
            json={
                "kind": "person",
                "display_name": "Léa Petit",
                "email": "lea@example.fr",
                "country": "FR",
            },
            headers=testing.auth_headers(),
        )
        assert response.status_code == 201, response.text
        customer_id = response.json()["id"]
        records = await testing.read_topic(
            kafka_bootstrap,
            CUSTOMER_EVENTS,
            keep=lambda r: r.key == customer_id.encode(),
            until=lambda found: len(found) >= 1,
        )
    assert [testing.event_json(r)["type"] for r in records] == ["customer.customer.registered.v1"]
