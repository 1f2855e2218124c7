"""The inbox consumer against the real broker and PostgreSQL: duplicates, poison events, DLQ."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from opentelemetry import trace

from coulisse.contracts.customer import CustomerRegistered
from coulisse.contracts.topics import dlq_topic
from coulisse.platform import testing
from coulisse.platform.clock import SystemClock
from coulisse.platform.db import create_engine, session_factory
from coulisse.platform.envelope import IncomingEvent, build_envelope
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.kafka import decode_headers
from coulisse.platform.tables import inbox_table, include_platform_tables
from coulisse.platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"

metadata = sa.MetaData()
effects = sa.Table(
    "effects", metadata, sa.Column("event_id", sa.Uuid()), sa.Column("name", sa.String(200))
)
include_platform_tables(metadata)


def registered(name: str, customer_id: Any = None) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id or uuid4(),
        account_number="C000001",
        kind="person",
        display_name=name,
        email="a@example.fr",
        country="FR",
        payment_terms_days=30,
    )


async def create_topics(bootstrap: str, *names: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, num_partitions=3, replication_factor=1) for name in names]
        )
    finally:
        await admin.close()


async def test_duplicates_apply_once_and_poison_goes_to_the_dead_letter_topic(
    make_database: Any, kafka_bootstrap: str
) -> None:
    database_url = await make_database()
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)

    group = f"test-inbox-{uuid4().hex[:8]}"
    topic = f"test.inbox.{uuid4().hex[:8]}"
    await create_topics(kafka_bootstrap, topic, dlq_topic(group))

    attempts: dict[str, int] = {}
    trace_ids: dict[str, str] = {}

    async def on_registered(event: IncomingEvent, uow: UnitOfWork) -> None:
        assert isinstance(event.payload, CustomerRegistered)
        attempts[event.payload.display_name] = attempts.get(event.payload.display_name, 0) + 1
        context = trace.get_current_span().get_span_context()
        trace_ids[event.payload.display_name] = f"{context.trace_id:032x}"
        if event.payload.display_name == "poison":
            raise ValueError("this event cannot be applied")
        await uow.session.execute(
            sa.insert(effects).values(event_id=event.id, name=event.payload.display_name)
        )

    consumer = InboxConsumer(
        name=group,
        service="test",
        topics=[topic],
        uow_factory=lambda: UnitOfWork(sessions, service="test"),
        handlers={CustomerRegistered.TYPE: on_registered},
        max_attempts=3,
        retry_wait=0.01,
    )
    broker = KafkaBroker(kafka_bootstrap, enable_idempotence=True, logger=None)
    consumer.subscribe(broker, clock=SystemClock(), batch_size=50)

    customer = uuid4()
    first = build_envelope(
        registered("first", customer),
        service="test",
        actor="t",
        correlation_id=None,
        traceparent=None,
    )
    poison = build_envelope(
        registered("poison", customer),
        service="test",
        actor="t",
        correlation_id=None,
        traceparent=None,
    )
    after = build_envelope(
        registered("after", customer),
        service="test",
        actor="t",
        correlation_id=None,
        traceparent=None,
    )

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        # Same key: one partition, in this order. The first event is delivered three times.
        for outgoing in (first, first, poison, b"this is not a cloud event", after, first):
            value = outgoing if isinstance(outgoing, bytes) else outgoing.value
            await producer.send_and_wait(
                topic,
                value=value,
                key=str(customer).encode(),
                headers=[("traceparent", TRACEPARENT.encode())],
            )
    finally:
        await producer.stop()

    await broker.start()
    try:

        async def done() -> bool:
            async with engine.connect() as conn:
                names = (await conn.execute(sa.select(effects.c.name))).scalars().all()
            return sorted(names) == ["after", "first"] and consumer.dead_lettered_count == 2

        await testing.eventually(
            done, what="two effects applied and two events dead-lettered", timeout=30, interval=0.1
        )
    finally:
        await broker.stop()

    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(effects.c.event_id, effects.c.name))).all()
        inbox = (
            (
                await conn.execute(
                    sa.select(inbox_table.c.event_id).where(inbox_table.c.consumer == group)
                )
            )
            .scalars()
            .all()
        )
    assert sorted(name for _, name in rows) == ["after", "first"]
    assert sorted(map(str, inbox)) == sorted([str(first.event_id), str(after.event_id)])
    assert attempts["poison"] >= 3
    # The consumer's span continues the producer's trace, carried in the record's headers.
    assert trace_ids["first"] == trace_ids["after"] == TRACE_ID

    dead = await testing.read_topic(
        kafka_bootstrap, dlq_topic(group), until=lambda found: len(found) >= 2
    )
    by_error = {decode_headers(r.headers)["dlq-attempts"]: decode_headers(r.headers) for r in dead}
    poisoned = by_error["3"]
    assert "cannot be applied" in poisoned["dlq-error"]
    assert poisoned["dlq-source-topic"] == topic
    assert poisoned["dlq-consumer"] == group
    assert "dlq-source-offset" in poisoned
    malformed = by_error["1"]
    assert "CloudEvents" in malformed["dlq-error"]
    await engine.dispose()
