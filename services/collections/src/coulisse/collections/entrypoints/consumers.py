"""Kafka handlers: receivables from `billing.events`, customers from `customer.events`.

Each translates a consumed event into a command; the inbox consumer runs it inside its unit of
work and commits it with the inbox row. Events of other types (refunds, customer requests) change
nothing collections keeps: no handler, the inbox still records them.
"""

from __future__ import annotations

from collections.abc import Sequence

from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued, PaymentReceived
from coulisse.contracts.customer import CustomerErased, CustomerRegistered, CustomerUpdated
from coulisse.contracts.topics import BILLING_EVENTS, CUSTOMER_EVENTS
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import EventHandler, InboxConsumer
from coulisse.platform.service import Runtime

from ..adapters.uow import CollectionsUnitOfWork
from ..application import reactions
from ..application.commands import ApplyBillingFact, LearnErasure, LearnRegistration, LearnUpdate
from ..config import CollectionsSettings


def _billing_fact(model: type[InvoiceIssued | PaymentReceived | CreditNoteIssued]) -> EventHandler:
    async def handle(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
        await reactions.apply_billing_fact(ApplyBillingFact(event.payload_as(model)), uow)

    return handle


async def on_customer_registered(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
    data = event.payload_as(CustomerRegistered)
    await reactions.learn_registration(
        LearnRegistration(
            customer_id=data.customer_id,
            kind=data.kind,
            account_number=data.account_number,
            payment_terms_days=data.payment_terms_days,
        ),
        uow,
    )


async def on_customer_updated(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
    data = event.payload_as(CustomerUpdated)
    await reactions.learn_update(LearnUpdate(data.customer_id, data.changes()), uow)


async def on_customer_erased(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
    data = event.payload_as(CustomerErased)
    await reactions.learn_erasure(LearnErasure(data.customer_id, data.account_number), uow)


HANDLERS: dict[str, EventHandler] = {
    InvoiceIssued.TYPE: _billing_fact(InvoiceIssued),
    PaymentReceived.TYPE: _billing_fact(PaymentReceived),
    CreditNoteIssued.TYPE: _billing_fact(CreditNoteIssued),
    CustomerRegistered.TYPE: on_customer_registered,
    CustomerUpdated.TYPE: on_customer_updated,
    CustomerErased.TYPE: on_customer_erased,
}


def consumers(
    runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork],
) -> Sequence[InboxConsumer]:
    return [runtime.inbox_consumer(topics=[BILLING_EVENTS, CUSTOMER_EVENTS], handlers=HANDLERS)]
