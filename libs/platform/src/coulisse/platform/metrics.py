"""Prometheus metrics of a service process, at `GET /metrics` (text exposition format).

Written once for every service:

- HTTP: requests by method, route template and status, and their latency (a histogram);
- outbox: rows not yet published and the age of the oldest, read from the table at scrape time,
  and rows this process's relay published;
- inbox consumers: events applied, dead letters sent, batches rewound (database or network
  down), the last offset handled per partition; and from Kafka at scrape time, per partition,
  the group's committed offset and its lag behind the end of the topic, and the records kept on
  the group's dead-letter topic;
- whether the database and Kafka answered the scrape (`coulisse_scrape_source_up`).

A service adds its own families through `ServiceDefinition.metrics` (the gateway: suspense,
entries posted). Every value is a count, an offset or a duration: no label carries personal data.
Each app has its own registry, so several services can run in one test process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from coulisse.contracts.topics import dlq_topic
from coulisse.platform.clock import Clock
from coulisse.platform.tables import outbox_table

if TYPE_CHECKING:
    from coulisse.platform.service import Runtime

log = logging.getLogger("coulisse.metrics")
# `_created` series (when each counter appeared) double the output and nobody alerts on them.
disable_created_metrics()  # type: ignore[no-untyped-call]

PATH = "/metrics"
UNMATCHED = "unmatched"
"""The route label of a request no route matched (a 404): paths themselves are unbounded."""
SCRAPE_BUDGET_SECONDS = 3.0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class ServiceMetrics:
    """The metrics a service process counts as it runs; the rest is read at scrape time."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=False)
        self.requests = Counter(
            "coulisse_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "coulisse_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.group_commits = Histogram(
            "coulisse_group_commit_commands",
            "Commands committed in one transaction by a group commit, by group.",
            ["group"],
            buckets=GROUP_BUCKETS,
            registry=self.registry,
        )

    def observe_group_commit(self, group: str, commands: int) -> None:
        self.group_commits.labels(group).observe(commands)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)


class HttpMetricsMiddleware:
    """Counts and times every request but the scrapes themselves (plain ASGI: no body copy)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") == PATH:
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 500  # what the client gets if the app fails before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe(scope["method"], route, status, time.monotonic() - started)


# -- read at scrape time -----------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionOffsets:
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


@dataclass(frozen=True)
class GroupOffsets:
    group: str
    partitions: list[PartitionOffsets]
    dead_letters: int
    """Records on the group's dead-letter topic (end minus start, summed over partitions)."""


async def read_group_offsets(bootstrap: str, group: str, topics: Sequence[str]) -> GroupOffsets:
    """The group's committed offsets and the topics' ends, as a lag exporter reads them. The
    client asks for offsets only; it never joins the group, so no rebalance happens."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        client_id=f"{group}-metrics",
        request_timeout_ms=int(SCRAPE_BUDGET_SECONDS * 1000),
    )
    await consumer.start()
    try:
        # A consumer that subscribes to nothing knows no partitions until it asks the cluster.
        cluster = await consumer._client.fetch_all_metadata()

        def partitions(topic: str) -> list[TopicPartition]:
            found = cluster.partitions_for_topic(topic) or ()
            return [TopicPartition(topic, p) for p in sorted(found)]

        consumed = [tp for topic in topics for tp in partitions(topic)]
        dlq = partitions(dlq_topic(group))
        ends = await consumer.end_offsets([*consumed, *dlq])
        starts = await consumer.beginning_offsets(dlq) if dlq else {}
        committed = await asyncio.gather(*(consumer.committed(tp) for tp in consumed))
        found = [
            PartitionOffsets(tp.topic, tp.partition, offset, ends[tp])
            for tp, offset in zip(consumed, committed, strict=True)
        ]
        return GroupOffsets(group, found, sum(ends[tp] - starts[tp] for tp in dlq))
    finally:
        await consumer.stop()


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    oldest_age_seconds: float


async def read_outbox_backlog(runtime: Runtime[Any, Any]) -> OutboxBacklog:
    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(sa.func.count(), sa.func.min(outbox_table.c.created_at)).where(
                    outbox_table.c.published_at.is_(None)
                )
            )
        ).one()
        await conn.rollback()
    return OutboxBacklog(int(row[0]), age_seconds(row[1], runtime.clock))


def age_seconds(instant: datetime | None, clock: Clock) -> float:
    if instant is None:
        return 0.0
    if instant.tzinfo is None:  # SQLite keeps instants without their zone; they are UTC
        instant = instant.replace(tzinfo=UTC)
    return max(0.0, (clock.now() - instant).total_seconds())


def gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


async def runtime_families(runtime: Runtime[Any, Any]) -> list[Metric]:
    """What the tables and the broker say now, plus the counts of the relay and consumers."""
    families: list[Metric] = []
    up = GaugeMetricFamily(
        "coulisse_scrape_source_up",
        "1 if the source answered this scrape within its budget, else 0.",
        labels=["source"],
    )
    families.append(up)
    info = GaugeMetricFamily(
        "coulisse_service_info", "The service this process runs.", labels=["service", "version"]
    )
    info.add_metric([runtime.definition.name, runtime.definition.version], 1)
    families.append(info)

    try:
        async with asyncio.timeout(SCRAPE_BUDGET_SECONDS):
            backlog = await read_outbox_backlog(runtime)
        families += [
            gauge("coulisse_outbox_pending", "Outbox rows not yet published.", backlog.pending),
            gauge(
                "coulisse_outbox_oldest_pending_age_seconds",
                "Age of the oldest outbox row not yet published (0 when none is).",
                backlog.oldest_age_seconds,
            ),
        ]
        up.add_metric(["database"], 1)
    except Exception as exc:  # a scrape reports what it can; the gauge says what failed
        log.warning("metrics: outbox not read: %s: %s", type(exc).__name__, exc)
        up.add_metric(["database"], 0)

    if runtime.relay is not None:
        families.append(
            CounterMetricFamily(
                "coulisse_outbox_published",
                "Outbox rows this process's relay published.",
                value=runtime.relay.published_count,
            )
        )
    families += consumer_families(runtime)
    if runtime.consumers:
        try:
            async with asyncio.timeout(SCRAPE_BUDGET_SECONDS):
                offsets = [
                    await read_group_offsets(
                        runtime.settings.kafka_bootstrap_servers, consumer.name, consumer.topics
                    )
                    for consumer in runtime.consumers
                ]
            families += offset_families(offsets)
            up.add_metric(["kafka"], 1)
        except Exception as exc:
            log.warning("metrics: consumer offsets not read: %s: %s", type(exc).__name__, exc)
            up.add_metric(["kafka"], 0)
    if runtime.definition.metrics is not None:
        families += await runtime.definition.metrics(runtime)
    return families


def consumer_families(runtime: Runtime[Any, Any]) -> list[Metric]:
    applied = CounterMetricFamily(
        "coulisse_inbox_events_applied",
        "Events whose effect this process committed, by consumer group.",
        labels=["group"],
    )
    dead = CounterMetricFamily(
        "coulisse_inbox_dead_letters",
        "Records this process sent to the group's dead-letter topic.",
        labels=["group"],
    )
    rewound = CounterMetricFamily(
        "coulisse_inbox_rewinds",
        "Batches given back to Kafka because the database or the network was down.",
        labels=["group"],
    )
    position = GaugeMetricFamily(
        "coulisse_inbox_last_offset",
        "Offset of the last record this process handled, by group, topic and partition.",
        labels=["group", "topic", "partition"],
    )
    for consumer in runtime.consumers:
        applied.add_metric([consumer.name], consumer.applied_count)
        dead.add_metric([consumer.name], consumer.dead_lettered_count)
        rewound.add_metric([consumer.name], consumer.rewound_count)
        for (topic, partition), offset in sorted(consumer.positions.items()):
            position.add_metric([consumer.name, topic, str(partition)], offset)
    return [applied, dead, rewound, position]


def offset_families(groups: Iterable[GroupOffsets]) -> list[Metric]:
    labels = ["group", "topic", "partition"]
    lag = GaugeMetricFamily(
        "coulisse_consumer_lag",
        "Records on the partition the group has not committed yet.",
        labels=labels,
    )
    committed = GaugeMetricFamily(
        "coulisse_consumer_committed_offset",
        "The group's committed offset (-1 before its first commit).",
        labels=labels,
    )
    dead = GaugeMetricFamily(
        "coulisse_dead_letter_topic_records",
        "Records kept on the group's dead-letter topic: each one an event never applied.",
        labels=["group"],
    )
    for group in groups:
        for p in group.partitions:
            key = [group.group, p.topic, str(p.partition)]
            lag.add_metric(key, p.lag)
            committed.add_metric(key, -1 if p.committed is None else p.committed)
        dead.add_metric([group.group], group.dead_letters)
    return [lag, committed, dead]


class _Families(Collector):
    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render(families: Sequence[Metric]) -> bytes:
    return generate_latest(_Families(families))


router = APIRouter()


# Left out of the OpenAPI document: it is for the monitoring system, not for API clients.
@router.get(PATH, include_in_schema=False)
async def metrics(request: Request) -> Response:
    service_metrics: ServiceMetrics = request.app.state.metrics
    families = list(service_metrics.registry.collect())
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        families += await runtime_families(runtime)
    return Response(render(families), media_type=CONTENT_TYPE_LATEST)
