"""Outbox relay: publishes committed outbox rows to Kafka, in order, and marks them published.

A crash at any point loses nothing: rows are marked only after the broker acknowledged them
(acks=all), so a restart may publish some rows twice, always with the same event id.
One relay per service database is active at a time (a PostgreSQL advisory lock), which keeps
per-key order when several instances run; the others wait to take over.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from coulisse.platform.clock import Clock, SystemClock
from coulisse.platform.envelope import CONTENT_TYPE
from coulisse.platform.failpoints import failpoint
from coulisse.platform.kafka import encode_headers
from coulisse.platform.tables import inbox_table, outbox_table
from coulisse.platform.uow import outbox_channel

log = logging.getLogger("coulisse.relay")
tracer = trace.get_tracer("coulisse.relay")
_propagator = TraceContextTextMapPropagator()

RETENTION = timedelta(days=7)
# Longer than any redelivery window: a consumer group rewound further than this relies on the
# effects' own unique keys (source event ids), not on the inbox.
INBOX_RETENTION = timedelta(days=30)


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        producer: AIOKafkaProducer,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        clock: Clock | None = None,
        inbox_retention: timedelta = INBOX_RETENTION,
    ) -> None:
        self._engine = engine
        self._clock: Clock = clock or SystemClock()
        self._inbox_retention = inbox_retention
        self._producer = producer
        self._service = service
        self._batch_size = batch_size
        self._postgres = engine.dialect.name == "postgresql"
        # PostgreSQL wakes us through NOTIFY; the poll only covers a lost notification.
        self._poll_interval = poll_interval if self._postgres else min(poll_interval, 0.05)
        self._wakeup = asyncio.Event()
        self.published_count = 0

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Runs until cancelled."""
        while True:
            try:
                if self._postgres:
                    await self._run_as_leader()
                else:
                    await self._publish_loop()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; restarting in 1 s")
                await asyncio.sleep(1)

    async def _run_as_leader(self) -> None:
        lock_id = zlib.crc32(f"coulisse-relay-{self._service}".encode())
        async with self._engine.connect() as lock_conn:
            while True:
                got = (
                    await lock_conn.execute(
                        sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id}
                    )
                ).scalar_one()
                await lock_conn.commit()
                if got:
                    break
                await asyncio.sleep(2)
            log.info("outbox relay of %s is active", self._service)
            raw = await lock_conn.get_raw_connection()
            driver: Any = raw.driver_connection
            channel = outbox_channel(self._service)

            def _notified(*_args: object) -> None:
                self._wakeup.set()

            await driver.add_listener(channel, _notified)
            try:
                await self._publish_loop(lock_conn)
            finally:
                with suppress(Exception):
                    await driver.remove_listener(channel, _notified)

    async def _publish_loop(self, keepalive: AsyncConnection | None = None) -> None:
        last_purge = datetime.min.replace(tzinfo=UTC)
        while True:
            published = await self.publish_pending()
            if published >= self._batch_size:
                continue  # more is waiting: no sleep
            now = self._clock.now()
            if now - last_purge > timedelta(hours=1):
                await self.purge(now)
                last_purge = now
            # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a cancellation that
            # arrives as the wake-up fires, and a relay being stopped would then run on forever.
            with suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._wakeup.wait()
            self._wakeup.clear()

    async def publish_pending(self) -> int:
        """Publishes one batch of pending rows; returns how many."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        outbox_table.c.position,
                        outbox_table.c.event_id,
                        outbox_table.c.topic,
                        outbox_table.c.key,
                        outbox_table.c.event_type,
                        outbox_table.c.value,
                        outbox_table.c.traceparent,
                    )
                    .where(outbox_table.c.published_at.is_(None))
                    .order_by(outbox_table.c.position)
                    .limit(self._batch_size)
                )
            ).all()
            await conn.rollback()
        if not rows:
            return 0
        failpoint("relay.before_publish")
        sends: list[tuple[Span, asyncio.Future[Any]]] = []
        try:
            for row in rows:
                sends.append(await self._send(row))
            acknowledged = await asyncio.gather(*(delivery for _, delivery in sends))
        except BaseException as exc:
            for span, _ in sends:
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.end()
            raise
        # Each send span lasts until the broker's acknowledgement, which says where it landed.
        for (span, _), metadata in zip(sends, acknowledged, strict=True):
            span.set_attribute("messaging.destination.partition.id", str(metadata.partition))
            span.set_attribute("messaging.kafka.offset", metadata.offset)
            span.end()
        failpoint("relay.after_publish")
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(outbox_table)
                .where(outbox_table.c.position.in_([row.position for row in rows]))
                .values(published_at=self._clock.now())
            )
        self.published_count += len(rows)
        return len(rows)

    async def _send(self, row: Any) -> tuple[Span, asyncio.Future[Any]]:
        """Enqueues one row; returns its span, still open, and the future of its acknowledgement.

        The span continues the trace of the work that wrote the row (its stored traceparent), and
        the record's `traceparent` header names the span, so the consumer's span follows it."""
        parent = _propagator.extract({"traceparent": row.traceparent} if row.traceparent else {})
        span = tracer.start_span(
            f"send {row.topic}",
            context=parent,
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.operation.name": "send",
                "messaging.destination.name": row.topic,
                "messaging.message.id": str(row.event_id),
                "coulisse.event_type": row.event_type,
            },
        )
        headers = {
            "content-type": CONTENT_TYPE,
            "ce_type": row.event_type,
            "ce_id": str(row.event_id),
        }
        carrier: dict[str, str] = {}
        _propagator.inject(carrier, context=trace.set_span_in_context(span))
        headers.update(carrier)
        try:
            # send() only enqueues; the returned future resolves on the broker's acknowledgement.
            delivery: asyncio.Future[Any] = await self._producer.send(
                row.topic, value=row.value, key=row.key.encode(), headers=encode_headers(headers)
            )
        except BaseException as exc:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.end()
            raise
        return span, delivery

    async def purge(self, now: datetime) -> None:
        """Housekeeping of the guarantee's tables: sent outbox rows and old inbox rows go."""
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.delete(outbox_table).where(
                    outbox_table.c.published_at.is_not(None),
                    outbox_table.c.published_at < now - RETENTION,
                )
            )
            await conn.execute(
                sa.delete(inbox_table).where(
                    inbox_table.c.processed_at < now - self._inbox_retention
                )
            )
