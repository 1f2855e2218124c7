"""The embedded SQLite default works end to end: migrations, the API, the outbox and the relay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from coulisse.contracts.topics import CUSTOMER_EVENTS
from coulisse.customer.bootstrap import definition
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock

pytestmark = pytest.mark.integration

CLOCK_START = datetime(2026, 10, 15, 9, tzinfo=UTC)


async def test_customer_service_on_sqlite_publishes_its_events(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    async with testing.service_in_process(
        definition,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'customer.sqlite'}",
        kafka_bootstrap=kafka_bootstrap,
        roles="api,relay",
        clock=SettableClock(CLOCK_START),
    ) as service:
        response = await service.client.post(
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
    assert [testing.event_json(r)["type"] for r in records] == ["customer.customer.registered.v2"]
