"""`GET /metrics`: requests by route template and status, the outbox backlog read at scrape time,
the consumers' counts and offsets, and a service's own families."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from coulisse.platform.clock import SettableClock
from coulisse.platform.db import create_engine
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.metrics import (
    GroupOffsets,
    PartitionOffsets,
    consumer_families,
    offset_families,
    render,
)
from coulisse.platform.service import Runtime, ServiceDefinition, Wiring, create_app
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.tables import outbox_table, platform_metadata
from coulisse.platform.uow import UnitOfWork

CLOCK = SettableClock("2026-06-15T10:00:00Z")

things = APIRouter()


@things.get("/v1/things/{thing_id}")
async def get_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


async def books_metrics(runtime: Runtime[Any, Any]) -> Sequence[Metric]:
    return [GaugeMetricFamily("coulisse_things_open", "Things open.", value=3)]


def unit_of_work(wiring: Wiring[ServiceSettings]) -> Any:
    return lambda: UnitOfWork(wiring.sessions, service="things", clock=wiring.clock)


DEFINITION: ServiceDefinition[ServiceSettings, UnitOfWork] = ServiceDefinition(
    name="things",
    title="Things",
    description="A service for the platform's tests.",
    settings_type=ServiceSettings,
    routers=[things],
    unit_of_work=unit_of_work,
    alembic_ini=Path("unused.ini"),
    metrics=books_metrics,
)


@dataclass
class Service:
    client: httpx.AsyncClient
    runtime: Runtime[ServiceSettings, UnitOfWork]

    async def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        response = await self.client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'things.sqlite'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
    await engine.dispose()
    settings = ServiceSettings(
        DATABASE_URL=url, COULISSE_ROLES="api", COULISSE_ENV="test", COULISSE_SERVICE="things"
    )
    app = create_app(DEFINITION, settings, clock=CLOCK)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://things") as client:
            yield Service(client, app.state.runtime)


def sample(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


async def test_requests_are_counted_by_route_template_and_status(service: Service) -> None:
    for thing in (1, 2):
        assert (await service.client.get(f"/v1/things/{thing}")).status_code == 200
    assert (await service.client.get("/v1/things/not-a-number")).status_code == 422
    assert (await service.client.get("/v1/nothing/here")).status_code == 404
    found = await service.scrape()

    route = "/v1/things/{thing_id}"
    ok = {"method": "GET", "route": route, "status": "200"}
    assert found[sample("coulisse_http_requests_total", **ok)] == 2
    assert found[sample("coulisse_http_request_duration_seconds_count", **ok)] == 2
    assert found[sample("coulisse_http_request_duration_seconds_bucket", **ok, le="+Inf")] == 2
    invalid = {"method": "GET", "route": route, "status": "422"}
    assert found[sample("coulisse_http_requests_total", **invalid)] == 1
    # A path no route knows is one label value, whatever the path.
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert found[sample("coulisse_http_requests_total", **unmatched)] == 1
    # The scrapes themselves are not counted.
    assert not any(labels and ("route", "/metrics") in labels for _, labels in found)
    assert found[sample("coulisse_service_info", service="things", version="0.1.0")] == 1
    assert found[sample("coulisse_things_open")] == 3


async def insert_outbox(service: Service, *, age: timedelta, published: bool) -> None:
    created = CLOCK.now() - age
    async with service.runtime.engine.begin() as conn:
        await conn.execute(
            sa.insert(outbox_table).values(
                event_id=uuid4(),
                topic="customer.events",
                key="k",
                event_type="customer.customer.erased.v1",
                value=b"{}",
                created_at=created,
                published_at=CLOCK.now() if published else None,
            )
        )


async def test_the_outbox_backlog_is_read_at_scrape_time(service: Service) -> None:
    found = await service.scrape()
    assert found[sample("coulisse_outbox_pending")] == 0
    assert found[sample("coulisse_outbox_oldest_pending_age_seconds")] == 0
    assert found[sample("coulisse_scrape_source_up", source="database")] == 1

    await insert_outbox(service, age=timedelta(minutes=10), published=True)
    await insert_outbox(service, age=timedelta(seconds=90), published=False)
    await insert_outbox(service, age=timedelta(seconds=5), published=False)
    found = await service.scrape()
    assert found[sample("coulisse_outbox_pending")] == 2
    assert found[sample("coulisse_outbox_oldest_pending_age_seconds")] == 90


async def test_consumers_counts_are_exposed_per_group(service: Service) -> None:
    consumer = InboxConsumer(
        name="billing",
        service="things",
        topics=["customer.events"],
        uow_factory=service.runtime.uow_factory,
        handlers={},
    )
    consumer.applied_count, consumer.dead_lettered_count, consumer.rewound_count = 12, 1, 2
    consumer.positions[("customer.events", 4)] = 41
    service.runtime.consumers.append(consumer)
    try:
        text = render(consumer_families(service.runtime)).decode()
    finally:
        service.runtime.consumers.clear()
    assert 'coulisse_inbox_events_applied_total{group="billing"} 12.0' in text
    assert 'coulisse_inbox_dead_letters_total{group="billing"} 1.0' in text
    assert 'coulisse_inbox_rewinds_total{group="billing"} 2.0' in text
    assert (
        'coulisse_inbox_last_offset{group="billing",partition="4",topic="customer.events"} 41.0'
        in text
    )


def test_lag_is_the_distance_from_the_committed_offset_to_the_end() -> None:
    offsets = GroupOffsets(
        "accounting-gateway",
        [
            PartitionOffsets("billing.events", 0, committed=10, end=14),
            PartitionOffsets("billing.events", 1, committed=None, end=3),
        ],
        dead_letters=2,
    )
    text = render(offset_families([offsets])).decode()
    labels = 'group="accounting-gateway",partition="{}",topic="billing.events"'
    assert f"coulisse_consumer_lag{{{labels.format(0)}}} 4.0" in text
    assert f"coulisse_consumer_lag{{{labels.format(1)}}} 3.0" in text
    assert f"coulisse_consumer_committed_offset{{{labels.format(1)}}} -1.0" in text
    assert 'coulisse_dead_letter_topic_records{group="accounting-gateway"} 2.0' in text
