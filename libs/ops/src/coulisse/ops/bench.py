"""`coulisse bench`: drives the running local system and measures what the issue asks for.

- HTTP: invoices and payments created by concurrent clients (requests/s).
- Journaling: with the accounting gateway stopped, a backlog of billing events builds up; the
  gateway is started again and the time to drain it gives events journaled per second (offsets
  are committed only after the posting transaction, so a drained group means journaled events).
- Latency: at a fixed rate (200 events/s by default), from each HTTP response to the posting of
  its journal entry (the `time` of its `accounting.entry.posted.v1` event), p50/p95/p99.
- Raw limit of the machine for the same work: aiokafka produce→consume of as many messages of
  the same size, and batched PostgreSQL inserts of the same number of entry and line rows;
  our journaling rate is reported as a ratio of the lower of the two.

Results are written as JSON. Nothing here is asserted: targets are reported, not enforced.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from coulisse.contracts.topics import ACCOUNTING_EVENTS, BILLING_EVENTS
from coulisse.platform.clock import default_clock, today

GATEWAY = "accounting-gateway"
TARGETS = {"events_per_s": 3000, "ratio_of_raw_limit": 0.5, "p99_ms_at_200_per_s": 100}


@dataclass
class BenchConfig:
    customers: int = 20
    documents: int = 2000
    """Invoices + payments created for the journaling phase (half each)."""
    concurrency: int = 32
    latency_rate: float = 200.0
    latency_seconds: float = 10.0


@dataclass
class Endpoints:
    customer: str
    billing: str
    gateway: str
    kafka: str
    postgres_admin_url: str | None
    token: str
    stop_gateway: Callable[[], None]
    start_gateway: Callable[[], None]


@dataclass
class Report:
    started_at: str
    machine: dict[str, Any]
    config: dict[str, Any]
    http: dict[str, Any] = field(default_factory=dict)
    journaling: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    raw_limit: dict[str, Any] = field(default_factory=dict)
    ratio_of_raw_limit: float | None = None
    targets: dict[str, Any] = field(default_factory=lambda: dict(TARGETS))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


BOOKS_LINE = {"description": "Livres", "quantity": "2", "unit_price": "12.50", "vat_rate": "5.5"}


def invoice_body(customer_id: str) -> dict[str, Any]:
    """An invoice of 146.38 (a subscription at 20 % VAT, two books at 5.5 %), issued today."""
    return {
        "customer_id": customer_id,
        "currency": "EUR",
        "lines": [
            {
                "description": "Abonnement",
                "quantity": "1",
                "unit_price": "100.00",
                "vat_rate": "20.0",
            },
            BOOKS_LINE,
        ],
    }


def payment_body(customer_id: str, external_ref: str, amount: str = "50.00") -> dict[str, Any]:
    """A transfer received today, allocated by billing to the oldest due invoices."""
    return {
        "customer_id": customer_id,
        "amount": amount,
        "currency": "EUR",
        "method": "transfer",
        "received_on": today(default_clock()).isoformat(),
        "external_ref": external_ref,
    }


class Driver:
    """Creates customers, invoices and payments over HTTP like a front end would."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        headers = {"Authorization": f"Bearer {endpoints.token}"}
        limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
        self.customer = httpx.AsyncClient(
            base_url=endpoints.customer, headers=headers, timeout=30, limits=limits
        )
        self.billing = httpx.AsyncClient(
            base_url=endpoints.billing, headers=headers, timeout=30, limits=limits
        )
        self.customer_ids: list[str] = []
        self._sequence = 0

    async def close(self) -> None:
        await self.customer.aclose()
        await self.billing.aclose()

    async def create_customers(self, count: int) -> None:
        run = uuid.uuid4().hex[:6]
        for i in range(count):
            response = await self.customer.post(
                "/v1/customers",
                json={
                    "kind": "company",
                    "display_name": f"Bench client {run}-{i}",
                    "email": f"bench-{run}-{i}@example.fr",
                    "country": "FR",
                    "payment_terms_days": 30,
                },
            )
            response.raise_for_status()
            self.customer_ids.append(response.json()["id"])
        deadline = time.monotonic() + 60
        for customer_id in self.customer_ids:
            while (
                await self.billing.get(f"/v1/customers/{customer_id}/balance")
            ).status_code != 200:
                if time.monotonic() > deadline:
                    raise RuntimeError("billing did not learn the bench customers within 60 s")
                await asyncio.sleep(0.2)

    def _next(self) -> tuple[int, str]:
        self._sequence += 1
        return self._sequence, self.customer_ids[self._sequence % len(self.customer_ids)]

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A POST retried on a dropped keep-alive connection: the Idempotency-Key makes the retry
        safe (the effect happens once, the first answer is replayed)."""
        headers = {"Idempotency-Key": f"bench-{uuid.uuid4()}"}
        for attempt in range(3):
            try:
                return await self.billing.post(path, json=body, headers=headers)
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.ConnectError):
                if attempt == 2:
                    raise
                await asyncio.sleep(0.1)
        raise AssertionError("unreachable")

    async def invoice(self) -> tuple[str, float]:
        sequence, customer_id = self._next()
        response = await self._post("/v1/invoices", invoice_body(customer_id))
        done = default_clock().now().timestamp()
        if response.status_code != 201:
            raise RuntimeError(f"invoice {sequence}: {response.status_code} {response.text[:300]}")
        return str(response.json()["id"]), done

    async def payment(self) -> tuple[str, float]:
        sequence, customer_id = self._next()
        response = await self._post(
            "/v1/payments", payment_body(customer_id, f"BENCH-{uuid.uuid4().hex}")
        )
        done = default_clock().now().timestamp()
        if response.status_code != 201:
            raise RuntimeError(f"payment {sequence}: {response.status_code} {response.text[:300]}")
        return str(response.json()["id"]), done

    async def documents(self, count: int, concurrency: int) -> list[tuple[str, float]]:
        queue: asyncio.Queue[Callable[[], Awaitable[tuple[str, float]]]] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(self.invoice if i % 2 == 0 else self.payment)
        results: list[tuple[str, float]] = []

        async def client() -> None:
            while not queue.empty():
                make = queue.get_nowait()
                results.append(await make())

        await asyncio.gather(*(client() for _ in range(concurrency)))
        return results


class Offsets:
    """One long-lived, group-less consumer and admin client to read end and committed offsets."""

    def __init__(self, bootstrap: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)

    async def __aenter__(self) -> Offsets:
        await self._consumer.start()
        await self._admin.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._admin.close()
        await self._consumer.stop()

    async def end(self, topic: str) -> dict[TopicPartition, int]:
        partitions = self._consumer.partitions_for_topic(topic)
        while not partitions:
            # A group-less consumer without assignment learns topics only when asked.
            await self._consumer._client.force_metadata_update()
            partitions = self._consumer.partitions_for_topic(topic)
        ends = await self._consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return dict(ends)

    async def lag(self, group: str, topic: str) -> int:
        ends = await self.end(topic)
        committed = await self._admin.list_consumer_group_offsets(group)
        lag = 0
        for partition, end in ends.items():
            meta = committed.get(partition)
            lag += end - (meta.offset if meta is not None and meta.offset >= 0 else 0)
        return lag

    async def wait_drained(self, group: str, topic: str, timeout: float) -> tuple[float, float]:
        """(seconds until the group consumed everything, seconds of that spent actually consuming):
        the second excludes the time before the first offset commit (process start, group join)."""
        started = time.monotonic()
        first_lag = await self.lag(group, topic)
        progress_at: float | None = None
        while time.monotonic() - started < timeout:
            lag = await self.lag(group, topic)
            now = time.monotonic()
            if progress_at is None and lag < first_lag:
                progress_at = now
            if lag == 0:
                return now - started, now - (progress_at or started)
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{group} still lags on {topic} after {timeout} s")


async def read_all(
    offsets: Offsets, bootstrap: str, topic: str, since: dict[TopicPartition, int]
) -> list[Any]:
    """Every record appended to `topic` after the `since` offsets, up to its current end."""
    ends = await offsets.end(topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(ends))
        for partition in ends:
            consumer.seek(partition, since.get(partition, 0))
        records: list[Any] = []
        remaining = {p for p, end in ends.items() if end > since.get(p, 0)}
        while remaining:
            batches = await consumer.getmany(timeout_ms=500)
            for partition, batch in batches.items():
                records.extend(batch)
                if batch and batch[-1].offset + 1 >= ends[partition]:
                    remaining.discard(partition)
        return records
    finally:
        await consumer.stop()


async def journaling_phase(
    driver: Driver, endpoints: Endpoints, offsets: Offsets, config: BenchConfig, report: Report
) -> int:
    endpoints.stop_gateway()
    try:
        started = time.monotonic()
        results = await driver.documents(config.documents, config.concurrency)
        elapsed = time.monotonic() - started
        report.http = {
            "requests": len(results),
            "concurrency": config.concurrency,
            "seconds": round(elapsed, 3),
            "requests_per_s": round(len(results) / elapsed, 1),
        }
        # Let billing's relay publish the whole backlog before the gateway comes back.
        await asyncio.sleep(2)
        backlog = await offsets.lag(GATEWAY, BILLING_EVENTS)
    finally:
        endpoints.start_gateway()
    total, consuming = await offsets.wait_drained(GATEWAY, BILLING_EVENTS, timeout=600)
    report.journaling = {
        "events": backlog,
        "drain_seconds_including_gateway_start": round(total, 3),
        "drain_seconds_from_first_commit": round(consuming, 3),
        "events_per_s": round(backlog / consuming, 1) if consuming else None,
    }
    return backlog


async def latency_phase(
    driver: Driver, endpoints: Endpoints, offsets: Offsets, config: BenchConfig, report: Report
) -> None:
    since_billing = await offsets.end(BILLING_EVENTS)
    since_accounting = await offsets.end(ACCOUNTING_EVENTS)
    interval = 1.0 / config.latency_rate
    count = int(config.latency_rate * config.latency_seconds)
    responses: dict[str, float] = {}
    tasks: list[asyncio.Task[tuple[str, float]]] = []
    started = time.monotonic()
    for i in range(count):
        delay = started + i * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(driver.invoice() if i % 2 == 0 else driver.payment()))
    for resource_id, done in await asyncio.gather(*tasks):
        responses[resource_id] = done
    achieved = count / (time.monotonic() - started)
    event_subject: dict[str, str] = {}
    await offsets.wait_drained(GATEWAY, BILLING_EVENTS, timeout=120)
    await asyncio.sleep(1)
    # Both ends are stamped by the services themselves (the billing event's `time` is written in the
    # HTTP request's transaction, the entry's when it is posted), so a busy benchmark client cannot
    # skew them; the client-side view (response received → entry) is reported beside it.
    committed_at: dict[str, float] = {}
    for record in await read_all(offsets, endpoints.kafka, BILLING_EVENTS, since_billing):
        event = json.loads(record.value)
        if event["subject"] in responses:
            committed_at[event["id"]] = datetime.fromisoformat(event["time"]).timestamp()
            event_subject[event["id"]] = event["subject"]
    latencies: list[float] = []
    client_view: list[float] = []
    for record in await read_all(offsets, endpoints.kafka, ACCOUNTING_EVENTS, since_accounting):
        event = json.loads(record.value)
        source = event.get("data", {}).get("source_event_id")
        if source in committed_at:
            posted = datetime.fromisoformat(event["time"]).timestamp()
            latencies.append((posted - committed_at[source]) * 1000)
            client_view.append((posted - responses[event_subject[source]]) * 1000)
    report.latency = {
        "target_rate_per_s": config.latency_rate,
        "achieved_rate_per_s": round(achieved, 1),
        "requests": count,
        "entries_matched": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "measured_from": "the billing event's time (HTTP transaction) to the entry's posting",
        "client_view_p50_ms": round(percentile(client_view, 0.50), 1) if client_view else None,
        "client_view_p99_ms": round(percentile(client_view, 0.99), 1) if client_view else None,
    }


async def raw_kafka(bootstrap: str, messages: int, size: int) -> dict[str, Any]:
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        from aiokafka.admin import NewTopic

        await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()
    payload = b"x" * size
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=topic
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.monotonic()
        deliveries = [
            await producer.send(topic, payload, key=str(i % 50).encode()) for i in range(messages)
        ]
        await asyncio.gather(*deliveries)
        consumed = 0
        while consumed < messages:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            consumed += sum(len(batch) for batch in batches.values())
        elapsed = time.monotonic() - started
    finally:
        await producer.stop()
        await consumer.stop()
    return {
        "messages": messages,
        "bytes_each": size,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(messages / elapsed, 1),
    }


async def raw_postgres(admin_url: str, events: int, lines_per_event: int = 3) -> dict[str, Any]:
    connection = await asyncpg.connect(admin_url)
    table = f"bench_raw_{uuid.uuid4().hex[:8]}"
    try:
        await connection.execute(
            f"CREATE TABLE {table}_entries (id uuid primary key, source_event_id uuid unique, number text, entry_date date)"
        )
        await connection.execute(
            f"CREATE TABLE {table}_lines (entry_id uuid, account text, auxiliary text, label text, debit numeric(18,2), credit numeric(18,2))"
        )
        day = today(default_clock())
        started = time.monotonic()
        batch = 500
        for offset in range(0, events, batch):
            entries = [
                (uuid.uuid4(), uuid.uuid4(), f"VT-{offset + i}", day)
                for i in range(min(batch, events - offset))
            ]
            lines = [
                (entry[0], "411000", "C000001", "Facture", Decimal("120.00"), Decimal("0.00"))
                for entry in entries
                for _ in range(lines_per_event)
            ]
            async with connection.transaction():
                await connection.executemany(
                    f"INSERT INTO {table}_entries VALUES ($1, $2, $3, $4)", entries
                )
                await connection.executemany(
                    f"INSERT INTO {table}_lines VALUES ($1, $2, $3, $4, $5, $6)", lines
                )
        elapsed = time.monotonic() - started
    finally:
        await connection.execute(f"DROP TABLE IF EXISTS {table}_entries, {table}_lines")
        await connection.close()
    return {
        "events": events,
        "rows": events * (1 + lines_per_event),
        "batch": 500,
        "seconds": round(elapsed, 3),
        "events_per_s": round(events / elapsed, 1),
    }


async def run(endpoints: Endpoints, config: BenchConfig) -> Report:
    report = Report(
        started_at=default_clock().now().isoformat(),
        machine={
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        config=asdict(config),
    )
    driver = Driver(endpoints)
    async with Offsets(endpoints.kafka) as offsets:
        try:
            await driver.create_customers(config.customers)
            events = await journaling_phase(driver, endpoints, offsets, config, report)
            await latency_phase(driver, endpoints, offsets, config, report)
        finally:
            await driver.close()
        ends = await offsets.end(BILLING_EVENTS)
        recent = {p: max(0, end - 40) for p, end in ends.items()}
        sizes = [
            len(r.value) for r in await read_all(offsets, endpoints.kafka, BILLING_EVENTS, recent)
        ]
    size = int(statistics.fmean(sizes)) if sizes else 1000
    kafka = await raw_kafka(endpoints.kafka, max(events, 1000), size)
    report.raw_limit = {"kafka_produce_consume": kafka}
    limits = [kafka["messages_per_s"]]
    if endpoints.postgres_admin_url:
        pg = await raw_postgres(endpoints.postgres_admin_url, max(events, 1000))
        report.raw_limit["postgres_batched_inserts"] = pg
        limits.append(pg["events_per_s"])
    report.raw_limit["events_per_s"] = min(limits)
    rate = report.journaling.get("events_per_s")
    if rate:
        report.ratio_of_raw_limit = round(rate / min(limits), 3)
    return report


def write(report: Any, directory: Path, name: str = "bench") -> Path:
    """`<name>-<instant>.json` and a copy as the latest of its name (`latest.json` for the
    benchmark, `<name>-latest.json` otherwise)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = default_clock().now().strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{name}-{stamp}.json"
    text = json.dumps(asdict(report), indent=2, default=str) + "\n"
    path.write_text(text)
    (directory / ("latest.json" if name == "bench" else f"{name}-latest.json")).write_text(text)
    return path
