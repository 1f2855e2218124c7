"""One trace per flow: the work that wrote an outbox row, the relay's send, the consumer's process
span and the transaction that commits its effects are linked, and carry the messaging
conventions' attributes. Stray database statements start no trace of their own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
import requests
from aiokafka import ConsumerRecord
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.contracts.customer import CustomerErased
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.db import session_factory
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.kafka import decode_headers
from coulisse.platform.relay import OutboxRelay
from coulisse.platform.settings import ServiceSettings
from coulisse.platform.tables import platform_metadata
from coulisse.platform.telemetry import SAMPLER, TolerantExporter, setup_tracing, span_exporter
from coulisse.platform.uow import UnitOfWork, current_traceparent

metadata = platform_metadata
CLOCK = SettableClock("2026-06-15T10:00:00Z")
tracer = trace.get_tracer("coulisse.tests")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans this test ends, from the process's provider (set up once, as a service does)."""
    setup_tracing("platform-tests", ServiceSettings(COULISSE_TRACES_EXPORTER="none"))
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    exporter.shutdown()  # the processor stays registered but keeps nothing more


def named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.name == name]


class FakeProducer:
    """Acknowledges every record at once, on partition 3."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    async def send(self, topic: str, *, value: bytes, key: bytes, headers: Any) -> Any:
        self.headers.append(decode_headers(headers))
        future = asyncio.get_running_loop().create_future()
        future.set_result(SimpleNamespace(partition=3, offset=40 + len(self.headers)))
        return future


def erased() -> CustomerErased:
    return CustomerErased(customer_id=uuid4(), account_number="C000042")


async def test_the_relay_continues_the_trace_that_wrote_the_row(
    sqlite_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    sessions = session_factory(sqlite_engine)
    with tracer.start_as_current_span("POST /v1/customers", kind=SpanKind.SERVER) as request:
        async with UnitOfWork(sessions, service="customer", clock=CLOCK) as uow:
            uow.emit(erased())
            await uow.commit()
    producer = FakeProducer()
    relay = OutboxRelay(sqlite_engine, producer, service="customer", clock=CLOCK)
    assert await relay.publish_pending() == 1

    [send] = named(spans, "send customer.events")
    assert send.kind is SpanKind.PRODUCER
    assert send.context.trace_id == request.get_span_context().trace_id
    assert send.parent is not None and send.parent.span_id == request.get_span_context().span_id
    attributes = dict(send.attributes or {})
    assert attributes["messaging.system"] == "kafka"
    assert attributes["messaging.destination.name"] == "customer.events"
    assert attributes["messaging.operation.type"] == "send"
    # Known once the broker acknowledged: the span lasts until then.
    assert attributes["messaging.destination.partition.id"] == "3"
    assert attributes["messaging.kafka.offset"] == 41
    # The record names the send span: the consumer's span will be its child.
    [headers] = producer.headers
    assert headers["traceparent"].split("-")[2] == f"{send.context.span_id:016x}"


def traced_record(offset: int) -> tuple[ConsumerRecord[bytes, bytes], int, int]:
    """A record as the relay sends it from inside a send span: (record, trace id, span id)."""
    with tracer.start_as_current_span("send customer.events", kind=SpanKind.PRODUCER) as send:
        traceparent = current_traceparent()
    assert traceparent is not None
    record = testing.consumed_record(erased(), offset=offset)
    record.headers = (("traceparent", traceparent.encode()),)
    context = send.get_span_context()
    return record, context.trace_id, context.span_id


async def emit_back(event: IncomingEvent, uow: UnitOfWork) -> None:
    uow.emit(event.payload_as(CustomerErased))


async def test_the_consumer_continues_the_producers_trace_into_its_transaction(
    sqlite_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    sessions = session_factory(sqlite_engine)
    consumer = InboxConsumer(
        name="accounting-gateway",
        service="accounting-gateway",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="accounting-gateway", clock=CLOCK),
        handlers={CustomerErased.TYPE: emit_back},
    )
    record, trace_id, send_id = traced_record(offset=7)
    await consumer.process([record])

    [process] = named(spans, "process customer.events")
    assert process.kind is SpanKind.CONSUMER
    assert process.context.trace_id == trace_id
    assert process.parent is not None and process.parent.span_id == send_id
    attributes = dict(process.attributes or {})
    assert attributes["messaging.consumer.group.name"] == "accounting-gateway"
    assert attributes["messaging.destination.partition.id"] == "0"
    assert attributes["messaging.kafka.offset"] == 7
    assert attributes["messaging.operation.type"] == "process"
    # The batch's transaction (where a posting is written) is in the same trace.
    [commit] = named(spans, "commit accounting-gateway")
    assert commit.context.trace_id == trace_id
    assert commit.parent is not None and commit.parent.span_id == process.context.span_id


async def test_a_batch_of_several_flows_commits_in_a_span_linked_to_each(
    sqlite_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    sessions = session_factory(sqlite_engine)
    consumer = InboxConsumer(
        name="billing",
        service="billing",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="billing", clock=CLOCK),
        handlers={CustomerErased.TYPE: emit_back},
    )
    (first, first_trace, _), (second, second_trace, _) = traced_record(1), traced_record(2)
    await consumer.process([first, second])

    assert {s.context.trace_id for s in named(spans, "process customer.events")} == {
        first_trace,
        second_trace,
    }
    [commit] = named(spans, "commit billing")
    assert commit.parent is None
    assert {link.context.trace_id for link in commit.links} == {first_trace, second_trace}


async def test_a_record_without_headers_keeps_the_trace_its_envelope_names(
    sqlite_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    sessions = session_factory(sqlite_engine)
    consumer = InboxConsumer(
        name="billing",
        service="billing",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="billing", clock=CLOCK),
        handlers={CustomerErased.TYPE: emit_back},
    )
    with tracer.start_as_current_span("POST /v1/customers") as request:
        traceparent = current_traceparent()
    outgoing = testing.envelope(erased(), traceparent=traceparent)
    record = testing.consumed_record(erased())
    record.value = outgoing.value
    await consumer.process([record])

    [process] = named(spans, "process customer.events")
    assert process.context.trace_id == request.get_span_context().trace_id


class FakeBroker:
    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, str]]] = []

    async def publish(self, value: bytes, *, topic: str, key: Any, headers: Any) -> None:
        self.published.append((topic, dict(headers)))


async def test_a_dead_letter_is_sent_in_the_trace_of_the_event_that_failed(
    sqlite_engine: AsyncEngine, spans: InMemorySpanExporter
) -> None:
    sessions = session_factory(sqlite_engine)

    async def fails(event: IncomingEvent, uow: UnitOfWork) -> None:
        raise ValueError("no rule for this event")

    consumer = InboxConsumer(
        name="billing",
        service="billing",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="billing", clock=CLOCK),
        handlers={CustomerErased.TYPE: fails},
        max_attempts=1,
    )
    broker = FakeBroker()
    consumer._broker = broker  # type: ignore[assignment]
    record, trace_id, _ = traced_record(offset=3)
    await consumer.process([record])

    assert [topic for topic, _ in broker.published] == ["billing.dlq"]
    [send] = named(spans, "send billing.dlq")
    assert send.kind is SpanKind.PRODUCER
    assert send.context.trace_id == trace_id
    assert consumer.dead_lettered_count == 1 and consumer.applied_count == 0


def test_a_statement_outside_traced_work_starts_no_trace() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=SAMPLER)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    local = provider.get_tracer("test")
    with local.start_as_current_span("SELECT coulisse", kind=SpanKind.CLIENT):
        pass  # a relay's poll, a readiness ping
    with (
        local.start_as_current_span("POST /v1/invoices", kind=SpanKind.SERVER),
        local.start_as_current_span("INSERT coulisse", kind=SpanKind.CLIENT),
    ):
        pass
    with local.start_as_current_span("send billing.events", kind=SpanKind.PRODUCER):
        pass  # an event of a worker: a trace of its own
    assert [span.name for span in exporter.get_finished_spans()] == [
        "INSERT coulisse",
        "POST /v1/invoices",
        "send billing.events",
    ]


def test_the_settings_choose_where_spans_go() -> None:
    def exporter(**env: Any) -> object:
        return span_exporter(ServiceSettings(**env))

    zipkin = exporter(
        COULISSE_TRACES_EXPORTER="zipkin", COULISSE_ZIPKIN_ENDPOINT="http://z:9411/api/v2/spans"
    )
    assert isinstance(zipkin, TolerantExporter)
    otlp = exporter(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318")
    assert isinstance(otlp, OTLPSpanExporter)
    assert exporter() is None  # otlp, the default, without a collector to send to
    assert exporter(COULISSE_TRACES_EXPORTER="none", OTEL_EXPORTER_OTLP_ENDPOINT="http://c") is None


def test_a_trace_viewer_out_of_reach_costs_the_spans_not_the_service() -> None:
    class Unreachable(InMemorySpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            raise requests.ConnectionError("connection refused")

    tolerant = TolerantExporter(Unreachable(), "http://127.0.0.1:9/api/v2/spans")
    assert tolerant.export([]) is SpanExportResult.FAILURE
    assert tolerant.export([]) is SpanExportResult.FAILURE
