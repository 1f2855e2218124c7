"""The Kafka side: one inbox consumer of the business topics, whose dead letters go to suspense."""

from __future__ import annotations

from coulisse.contracts.customer import (
    CustomerErased,
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
)
from coulisse.contracts.topics import BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS
from coulisse.platform.inbox import DeadLetter, EventHandler, InboxConsumer
from coulisse.platform.service import Runtime

from ..adapters.uow import GatewayUnitOfWork
from ..application.reactions import (
    apply_business_event,
    auxiliary_label_keeper,
    dead_letter_suspension,
)
from ..config import GatewaySettings


def consumers(runtime: Runtime[GatewaySettings, GatewayUnitOfWork]) -> list[InboxConsumer]:
    async def suspend_dead_letter(letter: DeadLetter) -> None:
        # Its own transaction: the batch that failed was rolled back.
        async with runtime.uow_factory() as uow:
            await uow.suspense.suspend(dead_letter_suspension(letter, uow.clock.now()))
            await uow.commit()

    keep_auxiliary_label = auxiliary_label_keeper(runtime.customer_events())
    handlers: dict[str, EventHandler] = {
        event.TYPE: keep_auxiliary_label
        for event in (
            CustomerRegistered,
            CustomerRegisteredV2,
            CustomerUpdated,
            CustomerUpdatedV2,
            CustomerErased,
        )
    }
    return [
        runtime.inbox_consumer(
            topics=[BILLING_EVENTS, COLLECTIONS_EVENTS, CUSTOMER_EVENTS],
            handlers=handlers,
            default_handler=apply_business_event,
            on_dead_letter=suspend_dead_letter,
        )
    ]
