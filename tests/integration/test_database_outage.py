"""A service whose database cannot be reached answers 503 with `Retry-After`, never a 500, and
serves again by itself once the database is back (the engine pings pooled connections)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from coulisse.ops.procs import free_port
from coulisse.ops.testing import DatabaseFactory
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import ServiceDefinition, create_app

pytestmark = pytest.mark.integration

CLOCK_START = datetime(2026, 11, 16, 9, tzinfo=UTC)
ADA = {"kind": "person", "display_name": "Ada", "email": "ada@example.com", "country": "FR"}


def _customer() -> ServiceDefinition[Any, Any]:
    from coulisse.customer.bootstrap import definition

    return definition


def _gateway() -> ServiceDefinition[Any, Any]:
    from coulisse.accounting_gateway.bootstrap import definition

    return definition


@contextlib.asynccontextmanager
async def running(
    definition: ServiceDefinition[Any, Any], database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The service's API in-process on `database_url`, migrated or not, reachable or not."""
    settings = definition.settings_type(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=testing.NO_KAFKA,
        COULISSE_JWT_SECRET=testing.TEST_SECRET,
        COULISSE_ENV="test",
        COULISSE_ROLES="api",
    )
    app = create_app(definition, settings, clock=SettableClock(CLOCK_START))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=testing.IN_PROCESS_URL,
            headers=testing.auth_headers(),
        ) as client,
    ):
        yield client


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(response.headers["retry-after"]) <= 30
    assert response.json()["status"] == 503


def _nowhere() -> str:
    """A database URL on a port where nothing listens."""
    return f"postgresql+asyncpg://coulisse:secret@127.0.0.1:{free_port()}/absent"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/customers", None),
        ("GET", "/v1/customers/6d2b2b1e-3c1a-4a8e-9a52-1f0c8e6b7d10", None),
        ("POST", "/v1/customers", ADA),
    ],
)
async def test_a_route_answers_503_while_its_database_cannot_be_reached(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    async with running(_customer(), _nowhere()) as client:
        _assert_unavailable(await client.request(method, path, json=body))


async def test_a_streamed_export_answers_503_before_it_starts_when_the_database_is_down() -> None:
    async with running(_gateway(), _nowhere()) as client:
        _assert_unavailable(await client.get("/v1/exports/ledger"))
        _assert_unavailable(await client.get("/v1/exports/fec", params={"fiscal_year": 2026}))


async def test_readiness_names_the_database_when_it_cannot_be_reached() -> None:
    async with running(_customer(), _nowhere()) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "retry-after" in response.headers
    problem = response.json()
    assert "database" in problem["detail"]
    assert problem["checks"]["database"].startswith("failing:")


class Outage:
    """A TCP relay between a service and its PostgreSQL that a test switches off and on.

    Off, it cuts every connection through it and refuses new ones, as a database server that
    stopped; on again, it listens on the same port, as the server restarted.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()
        self.port = free_port()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        for link in list(self._links):
            link.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)
        self._server = None

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            for end in (writer, upstream_writer):
                end.close()
            self._links.discard(task)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
        sink.close()


async def test_a_service_answers_503_while_its_database_is_down_and_recovers_by_itself(
    make_database: DatabaseFactory,
) -> None:
    definition = _customer()
    url = await make_database("outage")
    await asyncio.to_thread(upgrade, definition.alembic_ini, url)
    parsed = make_url(url)
    outage = Outage(parsed.host or "127.0.0.1", parsed.port or 5432)
    await outage.up()
    through_relay = parsed.set(host="127.0.0.1", port=outage.port)
    async with running(definition, through_relay.render_as_string(hide_password=False)) as client:
        assert (await client.get("/v1/customers")).status_code == 200  # a pooled connection

        await outage.down()
        _assert_unavailable(await client.get("/v1/customers"))
        _assert_unavailable(await client.post("/v1/customers", json=ADA))
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "database" in ready.json()["detail"]

        await outage.up()
        assert (await client.get("/v1/customers")).status_code == 200
        created = await client.post("/v1/customers", json=ADA)
        assert created.status_code == 201, created.text
