"""The outbox relay loses nothing when it is SIGKILLed mid-flight; a republished event keeps its id."""

from __future__ import annotations

import signal
import socket
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from coulisse.contracts.topics import CUSTOMER_EVENTS
from coulisse.platform import testing
from coulisse.platform.db import create_engine
from coulisse.platform.tables import outbox_table

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODULE = "coulisse.customer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def outbox_rows(database_url: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list(
                (
                    await conn.execute(sa.select(outbox_table).order_by(outbox_table.c.position))
                ).all()
            )
    finally:
        await engine.dispose()


def run_relay_until_killed(env: dict[str, str], failpoint: str, log: Path) -> int:
    relay_env = dict(env, COULISSE_ROLES="relay", COULISSE_FAILPOINTS=failpoint)
    process = testing.start_service(MODULE, relay_env, log)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


async def test_relay_killed_before_and_after_publish_loses_nothing(
    make_database: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    database_url = await make_database()
    port = free_port()
    env = testing.service_env(
        "customer", database_url=database_url, bootstrap=kafka_bootstrap, port=port
    )
    testing.migrate(MODULE, env)

    # An API-only process: state changes and outbox rows are committed, nothing is published.
    api = testing.start_service(MODULE, dict(env, COULISSE_ROLES="api"), tmp_path / "api.log")
    try:
        await testing.wait_ready(f"http://127.0.0.1:{port}", api)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers=testing.auth_headers()
        ) as client:
            for i in range(5):
                response = await client.post(
                    "/v1/customers",
                    json={
                        "kind": "person",
                        "display_name": f"Client {i}",
                        "email": f"c{i}@example.fr",
                        "country": "FR",
                    },
                )
                assert response.status_code == 201, response.text
    finally:
        testing.stop(api)

    pending = await outbox_rows(database_url)
    ids = {str(row.event_id) for row in pending}
    assert len(ids) == 5 and all(row.published_at is None for row in pending)

    def ours(record: Any) -> bool:
        return testing.event_json(record)["id"] in ids

    # 1. Killed between the database commit and the publish: nothing reached Kafka, nothing is lost.
    code = run_relay_until_killed(env, "relay.before_publish", tmp_path / "relay1.log")
    assert code == -signal.SIGKILL
    seen = await testing.read_topic(
        kafka_bootstrap, CUSTOMER_EVENTS, keep=ours, until=lambda _: False, timeout=3
    )
    assert seen == []
    assert all(row.published_at is None for row in await outbox_rows(database_url))

    # 2. Killed after the broker acknowledged, before marking the rows: published, still pending.
    code = run_relay_until_killed(env, "relay.after_publish", tmp_path / "relay2.log")
    assert code == -signal.SIGKILL
    seen = await testing.read_topic(
        kafka_bootstrap,
        CUSTOMER_EVENTS,
        keep=ours,
        until=lambda found: {testing.event_json(r)["id"] for r in found} == ids,
    )
    assert {testing.event_json(r)["id"] for r in seen} == ids
    assert all(row.published_at is None for row in await outbox_rows(database_url))

    # 3. A healthy relay finishes the job: every row marked, every event present, ids unchanged.
    relay = testing.start_service(
        MODULE, dict(env, COULISSE_ROLES="relay"), tmp_path / "relay3.log"
    )

    async def all_marked() -> bool:
        return all(row.published_at is not None for row in await outbox_rows(database_url))

    try:
        await testing.eventually(all_marked, what="every outbox row marked published", timeout=20)
    finally:
        testing.stop(relay)
    seen = await testing.read_topic(
        kafka_bootstrap, CUSTOMER_EVENTS, keep=ours, until=lambda found: len(found) >= 10
    )
    counts = Counter(testing.event_json(r)["id"] for r in seen)
    # Published twice (at-least-once), always with the same id: consumers' inboxes absorb the copy.
    assert set(counts) == ids
    assert all(count == 2 for count in counts.values())
    # Per-key order: each record's key is its customer id, as the envelope's partitionkey says.
    for record in seen:
        assert record.key.decode() == testing.event_json(record)["partitionkey"]
