"""Kafka handlers: receivables from `billing.events`, customers from `customer.events`.

Each translates a consumed event into a command; the inbox consumer runs it inside its unit of
work and commits it with the inbox row. Events of other types (refunds, customer requests) change
nothing collections keeps: no handler, the inbox still records them.
"""

from __future__ import annotations

from collections.abc import Sequence

from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued, PaymentReceived
from coulisse.contracts.customer import (
    Address,
    CustomerErased,
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
)
from coulisse.contracts.topics import BILLING_EVENTS, CUSTOMER_EVENTS
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import EventHandler, InboxConsumer
from coulisse.platform.personal_data import CustomerEvents
from coulisse.platform.service import Runtime

from ..adapters.uow import CollectionsUnitOfWork
from ..application import reactions
from ..application.commands import (
    ApplyBillingFact,
    ForgetRecipient,
    LearnErasure,
    LearnRecipient,
    LearnRegistration,
    LearnUpdate,
)
from ..config import CollectionsSettings
from ..domain.recipients import RECIPIENT_FIELDS, PostalAddress, RecipientValue


def _billing_fact(model: type[InvoiceIssued | PaymentReceived | CreditNoteIssued]) -> EventHandler:
    async def handle(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
        await reactions.apply_billing_fact(ApplyBillingFact(event.payload_as(model)), uow)

    return handle


def postal_address(address: Address | None) -> PostalAddress | None:
    if address is None:
        return None
    return PostalAddress(
        line1=address.line1,
        line2=address.line2,
        postal_code=address.postal_code,
        city=address.city,
        country=address.country,
    )


def customer_handlers(customers: CustomerEvents) -> dict[str, EventHandler]:
    """Registrations and updates, v1 (clear) and v2 (sealed), read through `customers`. A
    customer erased before the event is read has no contact details left: none is learned
    (the erasure that follows forgets the recipient anyway)."""

    async def on_customer_registered(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
        data = await customers.registration(event)
        await reactions.learn_registration(
            LearnRegistration(
                customer_id=data.customer_id,
                kind=data.kind,
                account_number=data.account_number,
                payment_terms_days=data.payment_terms_days,
            ),
            uow,
        )
        if data.erased:
            return
        contact: dict[str, RecipientValue] = {
            "display_name": data.display_name,
            "email": data.email,
            "address": postal_address(data.address),
        }
        await reactions.learn_recipient(
            LearnRecipient(data.customer_id, contact, event.envelope.time), uow
        )

    async def on_customer_updated(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
        data = await customers.update(event)
        changes = data.changes
        await reactions.learn_update(LearnUpdate(data.customer_id, changes), uow)
        contact: dict[str, RecipientValue] = {
            name: postal_address(value) if name == "address" else value
            for name, value in changes.items()
            if name in RECIPIENT_FIELDS
        }
        if contact and not data.erased:
            await reactions.learn_recipient(
                LearnRecipient(data.customer_id, contact, event.envelope.time), uow
            )

    return {
        CustomerRegistered.TYPE: on_customer_registered,
        CustomerRegisteredV2.TYPE: on_customer_registered,
        CustomerUpdated.TYPE: on_customer_updated,
        CustomerUpdatedV2.TYPE: on_customer_updated,
    }


async def on_customer_erased(event: IncomingEvent, uow: CollectionsUnitOfWork) -> None:
    data = event.payload_as(CustomerErased)
    await reactions.learn_erasure(LearnErasure(data.customer_id, data.account_number), uow)
    await reactions.forget_recipient(ForgetRecipient(data.customer_id), uow)


HANDLERS: dict[str, EventHandler] = {
    InvoiceIssued.TYPE: _billing_fact(InvoiceIssued),
    PaymentReceived.TYPE: _billing_fact(PaymentReceived),
    CreditNoteIssued.TYPE: _billing_fact(CreditNoteIssued),
    CustomerErased.TYPE: on_customer_erased,
}
"""The handlers that need no personal data; `consumers` adds the customer's."""


def consumers(
    runtime: Runtime[CollectionsSettings, CollectionsUnitOfWork],
) -> Sequence[InboxConsumer]:
    handlers = {**HANDLERS, **customer_handlers(runtime.customer_events())}
    return [runtime.inbox_consumer(topics=[BILLING_EVENTS, CUSTOMER_EVENTS], handlers=handlers)]
