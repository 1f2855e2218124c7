"""Kafka handlers: customers from `customer.events`, fees and write-offs from `collections.events`.

Each translates a consumed event into a command; the inbox consumer runs it inside its unit of
work and commits it with the inbox row. Registrations and updates come as v1 (personal fields in
clear) or v2 (sealed): the platform's `CustomerEvents` opens both the same way; a customer erased
meanwhile reads as `Erased customer <account number>`, without an e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence

from coulisse.contracts.collections import FeeAssessed, ReceivableWrittenOff
from coulisse.contracts.customer import (
    CustomerErased,
    CustomerRegistered,
    CustomerRegisteredV2,
    CustomerUpdated,
    CustomerUpdatedV2,
)
from coulisse.contracts.topics import COLLECTIONS_EVENTS, CUSTOMER_EVENTS
from coulisse.platform.envelope import IncomingEvent
from coulisse.platform.inbox import EventHandler, InboxConsumer
from coulisse.platform.personal_data import CustomerEvents
from coulisse.platform.service import Runtime

from ..adapters.uow import BillingUnitOfWork
from ..application import reactions
from ..application.commands import (
    IssueFeeInvoice,
    LearnErasure,
    LearnRegistration,
    LearnUpdate,
    RecordWriteOff,
)
from ..config import BillingSettings


def customer_handlers(customers: CustomerEvents) -> dict[str, EventHandler]:
    """Registrations and updates, v1 and v2, read through `customers`."""

    async def on_customer_registered(event: IncomingEvent, uow: BillingUnitOfWork) -> None:
        data = await customers.registration(event)
        await reactions.learn_registration(
            LearnRegistration(
                customer_id=data.customer_id,
                account_number=data.account_number,
                display_name=data.display_name,
                email=data.email,
                payment_terms_days=data.payment_terms_days,
            ),
            uow,
        )

    async def on_customer_updated(event: IncomingEvent, uow: BillingUnitOfWork) -> None:
        data = await customers.update(event)
        await reactions.learn_update(LearnUpdate(data.customer_id, data.changes), uow)

    return {
        CustomerRegistered.TYPE: on_customer_registered,
        CustomerRegisteredV2.TYPE: on_customer_registered,
        CustomerUpdated.TYPE: on_customer_updated,
        CustomerUpdatedV2.TYPE: on_customer_updated,
    }


async def on_customer_erased(event: IncomingEvent, uow: BillingUnitOfWork) -> None:
    data = event.payload_as(CustomerErased)
    await reactions.learn_erasure(LearnErasure(data.customer_id, data.account_number), uow)


async def on_fee_assessed(event: IncomingEvent, uow: BillingUnitOfWork) -> None:
    data = event.payload_as(FeeAssessed)
    await reactions.issue_fee_invoice(
        IssueFeeInvoice(
            fee_id=data.fee_id,
            customer_id=data.customer_id,
            invoice_id=data.invoice_id,
            kind=data.kind,
            amount=data.amount,
            assessed_on=data.assessed_on,
        ),
        uow,
    )


async def on_receivable_written_off(event: IncomingEvent, uow: BillingUnitOfWork) -> None:
    data = event.payload_as(ReceivableWrittenOff)
    await reactions.record_write_off(
        RecordWriteOff(
            write_off_id=data.write_off_id,
            customer_id=data.customer_id,
            invoice_id=data.invoice_id,
            amount_gross=data.amount_gross,
            written_off_on=data.written_off_on,
            reason=data.reason,
        ),
        uow,
    )


HANDLERS: dict[str, EventHandler] = {
    CustomerErased.TYPE: on_customer_erased,
    FeeAssessed.TYPE: on_fee_assessed,
    ReceivableWrittenOff.TYPE: on_receivable_written_off,
}
"""The handlers that need no personal data; `consumers` adds the customer's."""


def consumers(runtime: Runtime[BillingSettings, BillingUnitOfWork]) -> Sequence[InboxConsumer]:
    handlers = {**HANDLERS, **customer_handlers(runtime.customer_events())}
    return [runtime.inbox_consumer(topics=[CUSTOMER_EVENTS, COLLECTIONS_EVENTS], handlers=handlers)]
