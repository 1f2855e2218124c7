"""Events caused by consumed events keep each cause's actor and flow, even in one batch."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncEngine

from coulisse.contracts.customer import CustomerErased
from coulisse.platform import testing
from coulisse.platform.clock import SettableClock
from coulisse.platform.db import session_factory
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import InboxConsumer
from coulisse.platform.tables import outbox_table, platform_metadata
from coulisse.platform.uow import UnitOfWork

metadata = platform_metadata
CLOCK = SettableClock("2026-06-15T10:00:00Z")


def record(correlation_id: str, offset: int) -> ConsumerRecord[bytes, bytes]:
    erased = CustomerErased(customer_id=uuid4(), account_number=f"C{offset:06d}")
    return testing.consumed_record(
        erased, actor=f"agent-{offset}", correlation_id=correlation_id, offset=offset
    )


async def echo(event: IncomingEvent, uow: UnitOfWork) -> None:
    """Two events per consumed one, as a reaction that changes two things would."""
    payload = event.payload
    assert isinstance(payload, CustomerErased)
    uow.emit(payload)
    uow.emit(payload)


async def test_each_consumed_event_gives_its_flow_to_what_it_causes(
    sqlite_engine: AsyncEngine,
) -> None:
    sessions = session_factory(sqlite_engine)
    consumer = InboxConsumer(
        name="billing",
        service="billing",
        topics=["customer.events"],
        uow_factory=lambda: UnitOfWork(sessions, service="billing", clock=CLOCK),
        handlers={CustomerErased.TYPE: echo},
    )
    await consumer.process([record("flow-a", 1), record("flow-b", 2)])

    async with sqlite_engine.connect() as conn:
        values = (
            await conn.execute(sa.select(outbox_table.c.value).order_by(outbox_table.c.position))
        ).scalars()
        written: list[dict[str, Any]] = [json.loads(value) for value in values]
    # One transaction for the batch, yet each event's consequences keep their own flow.
    assert [e["correlationid"] for e in written] == ["flow-a", "flow-a", "flow-b", "flow-b"]
    assert {e["actor"] for e in written} == {"system:billing"}
    assert [e["data"]["account_number"] for e in written] == [
        "C000001",
        "C000001",
        "C000002",
        "C000002",
    ]
