"""Inbox consumer: applies each consumed event exactly once, and never lets one block a partition.

- The pair `(consumer, event_id)` is inserted in the same transaction as the effect, so a
  redelivered event is a no-op.
- Offsets are committed only after that transaction (FastStream `AckPolicy.NACK_ON_ERROR` with
  manual commits): a crash before the commit means redelivery, never loss.
- A batch is applied in one transaction for throughput; when one event of it fails, the batch is
  replayed event by event with bounded retries, and an event that still fails goes to the consumer
  group's dead-letter topic (with headers naming the error, the attempts and the source) so the
  next one is processed.
- Infrastructure failures (database or network down) are not the event's fault: they rewind the
  partition and retry later instead of dead-lettering anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from coulisse.contracts.topics import dlq_topic
from coulisse.platform.clock import Clock, SystemClock
from coulisse.platform.context import CausationContext, set_causation
from coulisse.platform.db import is_transaction_conflict
from coulisse.platform.envelope import (
    IncomingEvent,
    MalformedEvent,
    error_text,
    parse_record_value,
)
from coulisse.platform.kafka import decode_headers
from coulisse.platform.outages import is_outage
from coulisse.platform.tables import inbox_table
from coulisse.platform.uow import UnitOfWork

log = logging.getLogger("coulisse.inbox")
tracer = trace.get_tracer("coulisse.inbox")
_propagator = TraceContextTextMapPropagator()

EventHandler = Callable[[IncomingEvent, Any], Awaitable[None]]
"""Applies one event inside an open unit of work; the consumer commits."""


@dataclass(frozen=True)
class DeadLetter:
    consumer: str
    record: ConsumerRecord[Any, Any]
    event: IncomingEvent | None
    error: str
    attempts: int


class InfrastructureUnavailable(Exception):
    """Raised to rewind the partition: the event is fine, the database or network is not."""


def is_transient(exc: BaseException) -> bool:
    if is_transaction_conflict(exc):  # a deadlock with a command: the event is fine
        return True
    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    # What the HTTP side answers 503 to: e.g. a database still recovering after a crash refuses
    # connections (asyncpg's CannotConnectNowError), which no retry of the event can fix soon.
    if is_outage(exc):
        return True
    return isinstance(exc, ConnectionError | OSError | TimeoutError)


async def already_applied(
    session: AsyncSession, consumer: str, event_ids: Sequence[UUID]
) -> set[UUID]:
    if not event_ids:
        return set()
    rows = await session.execute(
        sa.select(inbox_table.c.event_id).where(
            inbox_table.c.consumer == consumer, inbox_table.c.event_id.in_(list(event_ids))
        )
    )
    return set(rows.scalars())


async def record_applied(
    session: AsyncSession, consumer: str, events: Sequence[IncomingEvent], now: datetime
) -> None:
    if events:
        await session.execute(
            sa.insert(inbox_table),
            [
                {"consumer": consumer, "event_id": e.id, "event_type": e.type, "processed_at": now}
                for e in events
            ],
        )


class InboxConsumer:
    def __init__(
        self,
        *,
        name: str,
        service: str,
        topics: Sequence[str],
        uow_factory: Callable[[], UnitOfWork],
        handlers: Mapping[str, EventHandler],
        default_handler: EventHandler | None = None,
        on_dead_letter: Callable[[DeadLetter], Awaitable[None]] | None = None,
        max_attempts: int = 3,
        retry_wait: float = 0.2,
    ) -> None:
        self.name = name
        self.service = service
        self.topics = list(topics)
        self._uow_factory = uow_factory
        self._handlers = dict(handlers)
        self._default_handler = default_handler
        self._on_dead_letter = on_dead_letter
        self._max_attempts = max_attempts
        self._retry_wait = retry_wait
        self._broker: KafkaBroker | None = None
        self._clock: Clock = SystemClock()
        self.applied_count = 0
        self.dead_lettered_count = 0
        self.rewound_count = 0
        """Batches given back to Kafka because the database or the network was down."""
        self.positions: dict[tuple[str, int], int] = {}
        """(topic, partition) → offset of the last record handled (applied or dead-lettered)."""

    def subscribe(self, broker: KafkaBroker, *, clock: Clock, batch_size: int = 500) -> None:
        self._broker = broker
        self._clock = clock

        async def _raw_records(message: Any) -> Any:
            # Keep the records as they are: decoding is ours, so a malformed value is dead-lettered
            # instead of failing inside the framework and rewinding forever.
            return message.raw_message

        @broker.subscriber(
            *self.topics,
            group_id=self.name,
            batch=True,
            max_records=batch_size,
            batch_timeout_ms=50,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_records,
        )
        async def consume(records: Any, message: KafkaMessage) -> None:
            batch = records if isinstance(records, tuple | list) else (records,)
            try:
                await self.process(batch)
            except InfrastructureUnavailable:
                self.rewound_count += 1
                await asyncio.sleep(1)  # rewound by the nack: back off before redelivery
                raise
            for record in batch:
                key = (record.topic, record.partition)
                self.positions[key] = max(record.offset, self.positions.get(key, -1))

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        parsed: list[tuple[ConsumerRecord[Any, Any], IncomingEvent]] = []
        for record in records:
            try:
                parsed.append((record, parse_record_value(record.value)))
            except MalformedEvent as exc:
                await self._dead_letter(DeadLetter(self.name, record, None, str(exc), attempts=1))
        if not parsed:
            return
        try:
            await self._apply(parsed)
            return
        except Exception as exc:
            if is_transient(exc):
                log.warning(
                    "consumer %s: infrastructure unavailable: %s", self.name, error_text(exc)
                )
                raise InfrastructureUnavailable(error_text(exc)) from exc
            if len(parsed) == 1:
                pass  # retried below
            else:
                log.info(
                    "consumer %s: batch failed (%s); applying one by one",
                    self.name,
                    error_text(exc),
                )
        for item in parsed:
            await self._apply_with_retries(item)

    async def _apply_with_retries(
        self, item: tuple[ConsumerRecord[Any, Any], IncomingEvent]
    ) -> None:
        record, event = item
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._max_attempts),
                wait=wait_exponential(multiplier=self._retry_wait, max=5),
                retry=retry_if_exception(lambda e: not is_transient(e)),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    await self._apply([item])
        except Exception as exc:
            if is_transient(exc):
                raise InfrastructureUnavailable(error_text(exc)) from exc
            log.error(
                "consumer %s: %s %s failed %d times: %s",
                self.name,
                event.type,
                event.id,
                attempts,
                error_text(exc),
            )
            await self._dead_letter(DeadLetter(self.name, record, event, error_text(exc), attempts))

    async def _apply(self, items: Sequence[tuple[ConsumerRecord[Any, Any], IncomingEvent]]) -> None:
        uow = self._uow_factory()
        async with uow:
            seen = await already_applied(uow.session, self.name, [event.id for _, event in items])
            fresh: list[IncomingEvent] = []
            processed: list[SpanContext] = []
            for record, event in items:
                if event.id in seen:
                    continue  # a redelivery: its effect is already committed
                processed.append(await self._apply_one(record, event, uow))
                seen.add(event.id)  # a duplicate later in the same batch is skipped too
                fresh.append(event)
            with self._transaction_span(processed):
                await record_applied(uow.session, self.name, fresh, uow.clock.now())
                await uow.commit()
        self.applied_count += len(fresh)

    @contextlib.contextmanager
    def _transaction_span(self, processed: Sequence[SpanContext]) -> Iterator[None]:
        """The commit of a batch's effects (a gateway's posting is written here): in the trace of
        its events when they share one, the usual case; else in its own, linked to each."""
        if not processed:
            yield
            return
        shared = len({context.trace_id for context in processed}) == 1
        with tracer.start_as_current_span(
            f"commit {self.name}",
            context=trace.set_span_in_context(NonRecordingSpan(processed[0]))
            if shared
            else Context(),
            links=() if shared else [Link(context) for context in processed],
            attributes={
                "messaging.system": "kafka",
                "messaging.consumer.group.name": self.name,
                "messaging.batch.message_count": len(processed),
            },
        ):
            yield

    async def _apply_one(
        self, record: ConsumerRecord[Any, Any], event: IncomingEvent, uow: UnitOfWork
    ) -> SpanContext:
        """Runs the event's handler in a span that continues the producer's trace; returns it."""
        handler = self._handlers.get(event.type, self._default_handler)
        with tracer.start_as_current_span(
            f"process {record.topic}",
            context=producer_context(record, event),
            kind=SpanKind.CONSUMER,
            attributes={
                **record_attributes(record, self.name),
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.message.id": str(event.id),
                "coulisse.event_type": event.type,
            },
        ) as span:
            set_causation(
                CausationContext(
                    actor=f"system:{self.service}", correlation_id=event.envelope.correlationid
                )
            )
            if handler is None:
                return span.get_span_context()
            try:
                await handler(event, uow)
                # Its events keep this event's actor, flow and trace, not the batch's last.
                uow.capture_events()
            except Exception as exc:
                # The text of `error_text`, and the frames without the message: a validation
                # error's message would quote the event's values.
                span.record_exception(
                    exc,
                    attributes={
                        "exception.message": error_text(exc),
                        "exception.stacktrace": "".join(traceback.format_tb(exc.__traceback__)),
                    },
                )
                span.set_status(Status(StatusCode.ERROR, error_text(exc)))
                raise
            return span.get_span_context()

    async def _dead_letter(self, letter: DeadLetter) -> None:
        if self._on_dead_letter is not None:
            await self._on_dead_letter(letter)
        record = letter.record
        headers = decode_headers(record.headers)
        headers.update(
            {
                "dlq-error": letter.error[:2000],
                "dlq-attempts": str(letter.attempts),
                "dlq-consumer": letter.consumer,
                "dlq-source-topic": record.topic,
                "dlq-source-partition": str(record.partition),
                "dlq-source-offset": str(record.offset),
                "dlq-failed-at": self._clock.now().isoformat(),
            }
        )
        assert self._broker is not None, "subscribe() first"
        topic = dlq_topic(self.name)
        # In the trace of the failed event: its flow shows where it stopped.
        with tracer.start_as_current_span(
            f"send {topic}",
            context=producer_context(record, letter.event),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.operation.name": "send",
                "messaging.destination.name": topic,
                "coulisse.dead_letter.source": record.topic,
                "coulisse.dead_letter.attempts": letter.attempts,
            },
        ) as span:
            span.set_status(Status(StatusCode.ERROR, letter.error[:200]))
            await self._broker.publish(
                record.value or b"", topic=topic, key=record.key, headers=headers
            )
        self.dead_lettered_count += 1


def producer_context(record: ConsumerRecord[Any, Any], event: IncomingEvent | None) -> Context:
    """The producer's trace: the record's `traceparent` header, else the one its envelope keeps
    (an event replayed from a dead-letter topic or re-published by a tool without headers)."""
    carrier = decode_headers(record.headers)
    if "traceparent" not in carrier and event is not None and event.envelope.traceparent:
        carrier["traceparent"] = event.envelope.traceparent
    return _propagator.extract(carrier)


def record_attributes(record: ConsumerRecord[Any, Any], group: str) -> dict[str, str | int]:
    """What the messaging conventions say of a consumed Kafka record."""
    return {
        "messaging.system": "kafka",
        "messaging.destination.name": record.topic,
        "messaging.destination.partition.id": str(record.partition),
        "messaging.kafka.offset": record.offset,
        "messaging.consumer.group.name": group,
    }
