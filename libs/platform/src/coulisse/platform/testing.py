"""Helpers for tests that drive real processes, a real broker and real databases."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from coulisse.platform.auth import mint_token
from coulisse.platform.settings import ALL_SCOPES

TEST_SECRET = "coulisse-test-secret-0123456789abcdef"


def token(scopes: list[str] | None = None, sub: str = "test-agent", ttl: int = 3600) -> str:
    return mint_token(TEST_SECRET, sub, scopes or list(ALL_SCOPES), ttl)


def auth_headers(scopes: list[str] | None = None, sub: str = "test-agent") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(scopes, sub)}"}


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[Any, Any]]], bool],
    timeout: float = 30.0,
    keep: Callable[[ConsumerRecord[Any, Any]], bool] = lambda _: True,
) -> list[ConsumerRecord[Any, Any]]:
    """Reads a topic from the beginning, without a group, like any outside tool would."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        deadline = time.monotonic() + timeout
        while not partitions and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        assignment = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(assignment)
        await consumer.seek_to_beginning(*assignment)
        found: list[ConsumerRecord[Any, Any]] = []
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                found.extend(r for r in records if keep(r))
            if until(found):
                return found
        return found
    finally:
        await consumer.stop()


def event_json(record: ConsumerRecord[Any, Any]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(record.value)
    return value


def service_env(
    service: str,
    *,
    database_url: str,
    bootstrap: str,
    port: int,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "COULISSE_ENV": "test",
            "COULISSE_SERVICE": service,
            "DATABASE_URL": database_url,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "COULISSE_JWT_SECRET": TEST_SECRET,
            "HTTP_PORT": str(port),
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra or {})
    return env


def migrate(module: str, env: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", module, "migrate"], env=dict(env), check=True, capture_output=True
    )


def start_service(module: str, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", module, "serve"], env=dict(env), stdout=log, stderr=subprocess.STDOUT
    )


async def wait_ready(
    base_url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=3) as client:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise RuntimeError(
                    f"the service exited with {process.returncode} before it was ready"
                )
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise TimeoutError(f"{base_url} was not ready within {timeout} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class InProcessService:
    """A service's ASGI app with its lifespan, for API tests through httpx without a socket."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lifespan: Any = None

    async def __aenter__(self) -> httpx.AsyncClient:
        self._lifespan = self.app.router.lifespan_context(self.app)
        await self._lifespan.__aenter__()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://service"
        )
        return self._client

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()
        await self._lifespan.__aexit__(None, None, None)
