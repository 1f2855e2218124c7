"""Browser front ends on other origins: allowed only when configured, with the bearer header."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter

from coulisse.platform.clock import SettableClock
from coulisse.platform.service import ServiceDefinition, Wiring, create_app
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.uow import UnitOfWork

FRONT_END = "https://backoffice.example.com"
ping = APIRouter()


@ping.get("/v1/ping")
async def get_ping() -> dict[str, str]:
    return {"ping": "pong"}


def unit_of_work(wiring: Wiring[ServiceSettings]) -> Any:
    return lambda: UnitOfWork(wiring.sessions, service="ping", clock=wiring.clock)


DEFINITION: ServiceDefinition[ServiceSettings, UnitOfWork] = ServiceDefinition(
    name="ping",
    title="Ping",
    description="A service for the platform's tests.",
    settings_type=ServiceSettings,
    routers=[ping],
    unit_of_work=unit_of_work,
    alembic_ini=Path("unused.ini"),
)


async def client_for(tmp_path: Path, origins: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'ping.sqlite'}",
        COULISSE_ROLES="api",
        COULISSE_ENV="test",
        COULISSE_CORS_ORIGINS=origins,
    )
    app = create_app(DEFINITION, settings, clock=SettableClock("2026-06-15T10:00:00Z"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ping") as client:
            yield client


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
    }


@pytest.fixture
async def allowing(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(tmp_path, f" {FRONT_END} , https://other.example.com"):
        yield client


async def test_a_configured_origin_may_call_with_its_bearer_token(
    allowing: httpx.AsyncClient,
) -> None:
    answer = await allowing.options("/v1/ping", headers=preflight(FRONT_END))
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == FRONT_END
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert {"authorization", "idempotency-key"} <= {h.strip() for h in allowed.split(",")}
    read = await allowing.get("/v1/ping", headers={"Origin": FRONT_END})
    assert read.headers["access-control-allow-origin"] == FRONT_END
    assert "x-trace-id" in read.headers["access-control-expose-headers"].lower()


async def test_another_origin_is_not_allowed(allowing: httpx.AsyncClient) -> None:
    answer = await allowing.options("/v1/ping", headers=preflight("https://evil.example.com"))
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    read = await allowing.get("/v1/ping", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in read.headers


async def test_no_origin_is_allowed_by_default(tmp_path: Path) -> None:
    async for client in client_for(tmp_path, ""):
        read = await client.get("/v1/ping", headers={"Origin": FRONT_END})
        assert read.status_code == 200
        assert "access-control-allow-origin" not in read.headers
