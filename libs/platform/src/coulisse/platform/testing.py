"""Helpers for tests that drive services in-process or as real processes, on a real broker and
real databases.

- `service_in_process(definition, database_url=..., clock=...)`: a service's app with its
  lifespan running, migrated, on the clock the test chose; yields a `ServiceInProcess`.
- `service_env(..., clock_start=...)`, `migrate`, `start_service`, `wait_ready`, `stop`: the same
  service as a process, its clock started where the test says (`COULISSE_CLOCK_START`).
- `token`, `auth_headers`: HS256 tokens the services under test accept.
- `eventually`: polls until something asynchronous has happened.
- `read_topic`, `event_json`: Kafka topics read the way an outside tool reads them.
- `envelope`, `publish`: events put on their topics as the producing services' relays do;
  `start_group_at_end`, `lag`: a consumer group that skips what other tests produced, and how
  far behind it is.
- `another_role`: a database role that is not the service's, for writes made from outside it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Generic
from uuid import UUID, uuid4

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from coulisse.contracts.base import EventPayload
from coulisse.platform.auth import mint_token
from coulisse.platform.clock import START_ENV, Clock, SettableClock, default_clock
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import CONTENT_TYPE, OutgoingEvent, build_envelope
from coulisse.platform.kafka import encode_headers, idempotent_producer
from coulisse.platform.migrations import upgrade
from coulisse.platform.service import Runtime, S, ServiceDefinition, U, create_app
from coulisse.platform.settings import ALL_SCOPES

TEST_SECRET = "coulisse-test-secret-0123456789abcdef"

# Tokens are minted on the test process's clock, while the services that check them run on
# clocks the tests set elsewhere: in-process services at a date of the test's choosing, processes
# started in another year through COULISSE_CLOCK_START. Services check `exp` against their clock
# but not `iat`, so a token minted today with a ten-year life is accepted by a service set at any
# earlier date and up to ten years later (2020 to 2035 from 2026); tests about expiry mint
# short-lived tokens explicitly.
TEST_TOKEN_TTL = 10 * 366 * 24 * 3600

# Where in-process services are reached; the ASGI transport never opens a socket.
IN_PROCESS_URL = "http://service"
# A broker address nothing answers on, for services whose roles never reach Kafka (api only).
NO_KAFKA = "127.0.0.1:1"


def token(
    scopes: list[str] | None = None,
    sub: str = "test-agent",
    ttl: int = TEST_TOKEN_TTL,
    *,
    clock: Clock | None = None,
) -> str:
    """A token signed with `TEST_SECRET`, issued at `clock`'s now (the process's clock)."""
    return mint_token(
        TEST_SECRET, sub, scopes or list(ALL_SCOPES), ttl, clock=clock or default_clock()
    )


def auth_headers(
    scopes: list[str] | None = None,
    sub: str = "test-agent",
    *,
    ttl: int = TEST_TOKEN_TTL,
    clock: Clock | None = None,
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(scopes, sub, ttl, clock=clock)}"}


async def eventually(
    check: Callable[[], Awaitable[bool]],
    *,
    what: str,
    timeout: float = 60,
    interval: float = 0.2,
) -> None:
    """Polls `check` until it is true; fails naming `what` when `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(interval)


def envelope(
    payload: EventPayload,
    *,
    actor: str = "test-agent",
    traceparent: str | None = None,
    event_id: UUID | None = None,
) -> OutgoingEvent:
    """The CloudEvent the producing service would publish (its outbox's row)."""
    return build_envelope(
        payload,
        service=payload.TYPE.split(".")[0],
        actor=actor,
        correlation_id=None,
        traceparent=traceparent,
        event_id=event_id,
    )


async def publish(bootstrap: str, events: Sequence[OutgoingEvent]) -> None:
    """Produces events as the producing services' relays do (idempotent producer, acks=all)."""
    producer = idempotent_producer(bootstrap, client_id="coulisse-tests")
    await producer.start()
    try:
        for event in events:
            headers = {"content-type": CONTENT_TYPE}
            if event.traceparent:
                headers["traceparent"] = event.traceparent
            await producer.send(
                event.topic, event.value, key=event.key.encode(), headers=encode_headers(headers)
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _group_partitions(
    bootstrap: str, group: str, topics: Sequence[str]
) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    # A consumer that subscribes to nothing knows no partitions until it asks the cluster.
    cluster = await consumer._client.fetch_all_metadata()
    partitions = [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]
    return consumer, partitions


async def start_group_at_end(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """A new consumer group that will read only what is produced from now on."""
    consumer, partitions = await _group_partitions(bootstrap, group, topics)
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str, topics: Sequence[str]) -> int:
    """Records produced on the topics that the group has not committed yet."""
    consumer, partitions = await _group_partitions(bootstrap, group, topics)
    try:
        ends = await consumer.end_offsets(partitions)
        behind = 0
        for partition in partitions:
            committed = await consumer.committed(partition)
            behind += ends[partition] - (committed or 0)
        return behind
    finally:
        await consumer.stop()


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


def consumed_record(
    payload: EventPayload,
    *,
    event_id: UUID | None = None,
    actor: str = "test",
    correlation_id: str | None = None,
    offset: int = 0,
) -> ConsumerRecord[bytes, bytes]:
    """A Kafka record carrying `payload` as its producer would have published it, for handing
    straight to an inbox consumer's `process`."""
    outgoing = build_envelope(
        payload,
        service=payload.TYPE.split(".")[0],
        actor=actor,
        correlation_id=correlation_id,
        traceparent=None,
        event_id=event_id,
    )
    return ConsumerRecord(
        topic=outgoing.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=outgoing.key.encode(),
        value=outgoing.value,
        checksum=None,
        serialized_key_size=len(outgoing.key),
        serialized_value_size=len(outgoing.value),
        headers=(),
    )


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
    clock_start: datetime | None = None,
) -> dict[str, str]:
    """A service process's environment; `clock_start` starts its clock at that instant."""
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
    if clock_start is not None:
        env[START_ENV] = clock_start.isoformat()
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


@dataclass(frozen=True)
class ServiceInProcess(Generic[S, U]):
    """A service's app running in this process, with its lifespan started."""

    client: httpx.AsyncClient
    """Talks to the app through the ASGI transport; headers set on it stay for the test."""
    app: FastAPI
    runtime: Runtime[S, U]
    clock: Clock
    """The clock of the service's runtime, its units of work and its token checks."""
    database_url: str

    @property
    def settings(self) -> S:
        return self.runtime.settings

    def client_with(self, headers: Mapping[str, str]) -> httpx.AsyncClient:
        """Another client of the same app, with its own default headers (the caller closes it)."""
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=IN_PROCESS_URL, headers=headers
        )


@contextlib.asynccontextmanager
async def service_in_process(
    definition: ServiceDefinition[S, U],
    *,
    database_url: str,
    kafka_bootstrap: str = NO_KAFKA,
    roles: str = "api",
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[ServiceInProcess[S, U]]:
    """The service on `database_url` (migrated first), running `roles`, on `clock`.

    `env` adds settings by their variable names (`COULISSE_CONSUMER_GROUP`, …). Without a
    clock, the service's clock stands still at the test process's current instant.
    """
    values: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "COULISSE_JWT_SECRET": TEST_SECRET,
        "COULISSE_ENV": "test",
        "COULISSE_ROLES": roles,
        **(env or {}),
    }
    settings = definition.settings_type(**values)
    await asyncio.to_thread(upgrade, definition.alembic_ini, database_url)
    service_clock = clock or SettableClock(default_clock().now())
    app = create_app(definition, settings, clock=service_clock)
    async with app.router.lifespan_context(app):
        runtime: Runtime[S, U] = app.state.runtime
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=IN_PROCESS_URL
        ) as client:
            yield ServiceInProcess(client, app, runtime, service_clock, database_url)


@contextlib.asynccontextmanager
async def another_role(
    database_url: str,
    *,
    admin_url: str | None = None,
    privileges: str = "SELECT, INSERT, UPDATE, DELETE",
    tables: Sequence[str] | None = None,
) -> AsyncIterator[str]:
    """A new login role with `privileges` on `tables` (every table of the schema when None) of
    the database of `database_url`; yields the URL of that database as the new role, which is
    dropped at the end. `admin_url` (any database of the same server) may create roles when the
    user of `database_url` may not."""
    name = f"another_{uuid4().hex[:10]}"
    password = secrets.token_hex(16)
    database = make_url(database_url).database
    admin = make_url(admin_url or database_url).set(
        drivername="postgresql+asyncpg", database=database
    )
    engine = create_engine(admin.render_as_string(hide_password=False), pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'"))
            schema = (await conn.execute(sa.text("SELECT current_schema()"))).scalar_one()
            await conn.execute(sa.text(f'GRANT USAGE ON SCHEMA "{schema}" TO {name}'))
            targets = (
                ", ".join(f'"{schema}"."{table}"' for table in tables)
                if tables is not None
                else f'ALL TABLES IN SCHEMA "{schema}"'
            )
            await conn.execute(sa.text(f"GRANT {privileges} ON {targets} TO {name}"))
            await conn.execute(
                sa.text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO {name}')
            )
        yield (
            make_url(database_url)
            .set(username=name, password=password)
            .render_as_string(hide_password=False)
        )
    finally:
        async with engine.begin() as conn:
            # The role's sessions end first: a test's pool may still hold some.
            await conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :n"
                ),
                {"n": name},
            )
            await conn.execute(sa.text(f"DROP OWNED BY {name}"))
            await conn.execute(sa.text(f"DROP ROLE {name}"))
        await engine.dispose()
