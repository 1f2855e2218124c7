"""Handlers of payments and refunds. Each runs inside one unit of work that the caller commits."""

from __future__ import annotations

from coulisse.platform.clock import today
from coulisse.platform.domain import InvalidInput

from ..adapters.repositories import duplicate_payment
from ..adapters.uow import BillingUnitOfWork
from ..domain.amounts import check_currency
from ..domain.calendar import not_in_future
from ..domain.payments import Payment
from ..domain.refunds import Refund
from .commands import IssueRefund, ReceivePayment
from .invoicing import known_customer


async def receive_payment(command: ReceivePayment, uow: BillingUnitOfWork) -> Payment:
    await known_customer(uow, command.customer_id)
    check_currency(command.currency)
    not_in_future(command.received_on, today=today(uow.clock), field="received_on")
    if command.allocations is None:
        invoices = await uow.invoices.lock_open_of(command.customer_id)
    else:
        if not command.allocations:
            raise InvalidInput(
                "give at least one allocation, or none for oldest due first", field="allocations"
            )
        invoices = await uow.invoices.lock_many(a.invoice_id for a in command.allocations)
    # The customer's row last: it is where the credit moves, and it serializes their payments.
    customer = await known_customer(uow, command.customer_id, for_update=True)
    if await uow.payments.exists(customer.id, command.external_ref.strip()):
        raise duplicate_payment(command.external_ref)
    payment = Payment.receive(
        customer,
        amount=command.amount,
        currency=command.currency,
        method=command.method,
        received_on=command.received_on,
        external_ref=command.external_ref,
        invoices=invoices,
        requested=command.allocations,
        now=uow.clock.now(),
    )
    for allocation in payment.allocations:
        await uow.invoices.save(invoices[allocation.invoice_id])
    await uow.customers.save(customer)
    await uow.payments.add(payment)
    return payment


async def issue_refund(command: IssueRefund, uow: BillingUnitOfWork) -> Refund:
    check_currency(command.currency)
    day = today(uow.clock)
    issued_on = not_in_future(command.issued_on or day, today=day, field="issued_on")
    customer = await known_customer(uow, command.customer_id, for_update=True)
    refund = Refund.issue(
        customer,
        amount=command.amount,
        currency=command.currency,
        method=command.method,
        issued_on=issued_on,
        reason=command.reason,
        request_id=command.request_id,
        now=uow.clock.now(),
    )
    await uow.customers.save(customer)
    await uow.refunds.add(refund)
    return refund
