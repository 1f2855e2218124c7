"""Kafka subscriptions: every topic of the system, every event type onto the read model.

Registrations and updates of customers are opened first (their personal fields travel sealed
from `.v2` on); every other event, including types this version does not know, goes to the
timeline as it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from coulisse.contracts.customer import (
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
)
from coulisse.contracts.topics import (
    ACCOUNTING_EVENTS,
    BILLING_EVENTS,
    COLLECTIONS_EVENTS,
    CUSTOMER_EVENTS,
)
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import EventHandler, InboxConsumer
from coulisse.platform.personal_data import CustomerEvents
from coulisse.platform.service import Runtime

from ..adapters.uow import ReportingUnitOfWork
from ..application import reactions
from ..config import ReportingSettings

TOPICS: tuple[str, ...] = (CUSTOMER_EVENTS, BILLING_EVENTS, COLLECTIONS_EVENTS, ACCOUNTING_EVENTS)


async def record(event: IncomingEvent, uow: ReportingUnitOfWork) -> None:
    await reactions.record(event, uow)


def handlers(customers: CustomerEvents) -> Mapping[str, EventHandler]:
    async def on_registered(event: IncomingEvent, uow: ReportingUnitOfWork) -> None:
        if await uow.read_model.seen(event.id):
            return  # no need to ask for the customer's key again
        await reactions.record(event, uow, await customers.registration(event))

    async def on_updated(event: IncomingEvent, uow: ReportingUnitOfWork) -> None:
        if await uow.read_model.seen(event.id):
            return
        await reactions.record(event, uow, await customers.update(event))

    return {
        CustomerRegistered.TYPE: on_registered,
        CustomerRegisteredV2.TYPE: on_registered,
        CustomerUpdated.TYPE: on_updated,
        CustomerUpdatedV2.TYPE: on_updated,
    }


def consumers(
    runtime: Runtime[ReportingSettings, ReportingUnitOfWork],
) -> Sequence[InboxConsumer]:
    return [
        runtime.inbox_consumer(
            topics=TOPICS, handlers=handlers(runtime.customer_events()), default_handler=record
        )
    ]
