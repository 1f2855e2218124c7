"""kill -9 the gateway again and again while 5,000 events flow: exactly one entry per event."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import gateway_samples as samples
import httpx
import pytest
import sqlalchemy as sa
from gateway_harness import CONSUMED, SIREN, new_consumer_group

from coulisse.accounting_gateway.adapters.tables import journal_entries, journal_lines, letters
from coulisse.platform import testing
from coulisse.platform.db import create_engine
from coulisse.platform.envelope import OutgoingEvent

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODULE = "coulisse.accounting_gateway"
CUSTOMERS = 50
PAIRS_PER_CUSTOMER = 50  # an invoice and the payment that settles it: 5,000 events
# The gateway processes' clocks start here, after every event's date: the trial balance "as of
# today" holds them all, whatever the machine's date.
CLOCK_START = datetime(2026, 12, 15, 9, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def finished_within(process: subprocess.Popen[bytes], seconds: float) -> bool:
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def business(seed: int) -> list[OutgoingEvent]:
    rng = random.Random(seed)
    events: list[OutgoingEvent] = []
    for c in range(CUSTOMERS):
        customer, aux = uuid4(), f"C{c + 1:06d}"
        for k in range(PAIRS_PER_CUSTOMER):
            net = Decimal(rng.randint(100, 500_000)) / 100
            invoice = samples.invoice(
                customer_id=customer,
                account_number=aux,
                issue_date=date(2026, 1 + k % 10, 1 + k % 28),
                lines=[(net, Decimal("20.0"), None)],
                number=f"F2026-{c:03d}{k:03d}",
            )
            paid = samples.payment(
                customer_id=customer,
                account_number=aux,
                received_on=invoice.issue_date,
                allocations=[(invoice, invoice.total_gross)],
            )
            events += [samples.envelope(invoice), samples.envelope(paid)]
    return events


async def scalar(database_url: str, query: Any) -> Any:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(query)
    finally:
        await engine.dispose()


async def test_kill_9_while_events_flow_posts_each_event_exactly_once(
    make_database: Any, kafka_bootstrap: str, tmp_path: Path
) -> None:
    database_url = await make_database()
    group = await new_consumer_group(kafka_bootstrap)
    port = free_port()
    env = testing.service_env(
        "accounting-gateway",
        database_url=database_url,
        bootstrap=kafka_bootstrap,
        port=port,
        extra={"COULISSE_CONSUMER_GROUP": group, "ACCOUNTING_SIREN": SIREN},
        clock_start=CLOCK_START,
    )
    await asyncio.to_thread(testing.migrate, MODULE, env)
    events = business(seed=4)
    ids = [e.event_id for e in events]

    async def produce() -> None:
        for start in range(0, len(events), 250):
            await samples.publish(kafka_bootstrap, events[start : start + 250])
            await asyncio.sleep(0.3)

    async def posted() -> int:
        count = await scalar(
            database_url,
            sa.select(sa.func.count()).where(journal_entries.c.source_event_id.in_(ids)),
        )
        return int(count or 0)

    async def all_posted_and_committed() -> bool:
        return await posted() >= len(events) and not await samples.lag(
            kafka_bootstrap, group, CONSUMED
        )

    rng = random.Random(9)
    producer = asyncio.create_task(produce())
    kills = 0
    deadline = time.monotonic() + 150
    try:
        # Crash after random delays, and at the worst moment: right after the database commit,
        # before the Kafka offsets are committed (the failpoint).
        while kills < 10 or not producer.done():
            armed = kills % 3 == 2
            extra = {"COULISSE_FAILPOINTS": "accounting.after_commit"} if armed else {}
            process = testing.start_service(MODULE, {**env, **extra}, tmp_path / "gateway.log")
            try:
                if armed:
                    # It kills itself at its first commit; with nothing left to commit, we do.
                    await asyncio.to_thread(finished_within, process, 30)
                else:
                    await asyncio.sleep(rng.uniform(0.5, 4.0))
            finally:
                if process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
                await asyncio.to_thread(process.wait)
            assert process.returncode == -signal.SIGKILL
            kills += 1
            assert time.monotonic() < deadline, "the crash loop took too long"
        await producer

        process = testing.start_service(MODULE, env, tmp_path / "gateway.log")
        try:
            await testing.wait_ready(f"http://127.0.0.1:{port}", process)
            await testing.eventually(
                all_posted_and_committed,
                what="every event posted and its offset committed",
                timeout=deadline + 60 - time.monotonic(),
                interval=0.5,
            )
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", headers=testing.auth_headers()
            ) as client:
                trial = (await client.get("/v1/trial-balance")).json()
        finally:
            testing.stop(process)
    finally:
        producer.cancel()

    assert kills >= 10
    assert await posted() == len(events)
    distinct = await scalar(
        database_url,
        sa.select(sa.func.count(sa.distinct(journal_entries.c.source_event_id))).where(
            journal_entries.c.source_event_id.in_(ids)
        ),
    )
    assert distinct == len(events)
    assert trial["totals"]["debit"] == trial["totals"]["credit"]
    assert await scalar(
        database_url, sa.select(sa.func.sum(journal_lines.c.debit - journal_lines.c.credit))
    ) == Decimal("0.00")
    # Gapless numbering survived the crashes: each journal's numbers are 1..N.
    for journal in ("VT", "BQ"):
        count, top = (
            await scalar(
                database_url,
                sa.select(sa.func.count()).where(journal_entries.c.journal_code == journal),
            ),
            await scalar(
                database_url,
                sa.select(sa.func.max(journal_entries.c.sequence)).where(
                    journal_entries.c.journal_code == journal
                ),
            ),
        )
        assert count == top == len(events) // 2
    # Every invoice was settled by its payment: every receivable line is lettered.
    assert await scalar(database_url, sa.select(sa.func.count()).select_from(letters)) == len(
        events
    )
