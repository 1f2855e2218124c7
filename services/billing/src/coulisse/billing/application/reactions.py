"""Handlers of the facts billing learns from other services' events.

They run inside the consumer's unit of work, committed with the inbox row, so each event takes
effect once; they are also idempotent on their own (a fee, a write-off is applied once by id).
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from coulisse.platform.clock import today
from coulisse.platform.domain import InvalidInput, NotFound

from ..adapters.uow import BillingUnitOfWork
from ..domain.amounts import Line
from ..domain.customers import BillingCustomer
from ..domain.invoices import Invoice
from ..domain.numbering import INVOICE_SERIES
from .commands import (
    IssueFeeInvoice,
    LearnErasure,
    LearnRegistration,
    LearnUpdate,
    RecordWriteOff,
)
from .handlers import known_customer

FEE_DESCRIPTIONS = {
    "recovery_indemnity": "Fixed recovery indemnity (art. L441-10 Code de commerce)",
    "late_interest": "Late payment interest",
}


async def _customer(uow: BillingUnitOfWork, customer_id: UUID) -> BillingCustomer:
    customer = await uow.customers.get(customer_id, for_update=True)
    if customer is None:
        customer = BillingCustomer(id=customer_id, updated_at=uow.clock.now())
        await uow.customers.add(customer)
    return customer


async def learn_registration(command: LearnRegistration, uow: BillingUnitOfWork) -> None:
    customer = await _customer(uow, command.customer_id)
    customer.registered(
        account_number=command.account_number,
        display_name=command.display_name,
        email=command.email,
        payment_terms_days=command.payment_terms_days,
        now=uow.clock.now(),
    )
    await uow.customers.save(customer)


async def learn_update(command: LearnUpdate, uow: BillingUnitOfWork) -> None:
    customer = await _customer(uow, command.customer_id)
    customer.updated(command.changes, now=uow.clock.now())
    await uow.customers.save(customer)


async def learn_erasure(command: LearnErasure, uow: BillingUnitOfWork) -> None:
    customer = await _customer(uow, command.customer_id)
    customer.erased(account_number=command.account_number, now=uow.clock.now())
    await uow.customers.save(customer)


async def issue_fee_invoice(command: IssueFeeInvoice, uow: BillingUnitOfWork) -> Invoice:
    """A late-payment fee becomes a `fee` invoice without VAT, once per fee."""
    existing = await uow.invoices.for_fee(command.fee_id)
    if existing is not None:
        return existing
    customer = await known_customer(uow, command.customer_id)
    late = await uow.invoices.get(command.invoice_id)
    description = FEE_DESCRIPTIONS[command.kind]
    if late is not None and late.number is not None:
        description = f"{description}, invoice {late.number}"
    invoice = Invoice.draft(
        customer_id=customer.id,
        account_number=customer.ensure_known(),
        lines=[
            Line.priced(
                description=description,
                quantity=Decimal(1),
                unit_price=command.amount,
                vat_rate=Decimal(0),
            )
        ],
        currency="EUR",
        kind="fee",
        source_fee_id=command.fee_id,
        now=uow.clock.now(),
    )
    # Written as a draft, then numbered: the counter is locked last (see handlers).
    await uow.invoices.add(invoice)
    # Dated the day the fee was assessed, or the series' last date if it has moved on since
    # (numbers follow dates); due at once.
    number, issue_date = await uow.numbering.next(
        INVOICE_SERIES, min(command.assessed_on, today(uow.clock)), move_after_last=True
    )
    invoice.issue(number=number, issue_date=issue_date, due_date=issue_date, now=uow.clock.now())
    await uow.invoices.save(invoice)
    return invoice


async def record_write_off(command: RecordWriteOff, uow: BillingUnitOfWork) -> None:
    if await uow.write_offs.exists(command.write_off_id):
        return
    invoice = await uow.invoices.get(command.invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"no invoice {command.invoice_id} to write off")
    if invoice.customer_id != command.customer_id:
        raise InvalidInput(
            f"invoice {invoice.number} is not customer {command.customer_id}'s", field="customer_id"
        )
    to_customer_credit = invoice.write_off(command.amount_gross, command.written_off_on)
    await uow.invoices.save(invoice)
    if to_customer_credit > 0:
        customer = await known_customer(uow, invoice.customer_id, for_update=True)
        customer.add_credit(to_customer_credit)
        await uow.customers.save(customer)
    await uow.write_offs.add(
        {
            "id": command.write_off_id,
            "invoice_id": invoice.id,
            "customer_id": invoice.customer_id,
            "amount_gross": command.amount_gross,
            "to_customer_credit": to_customer_credit,
            "written_off_on": command.written_off_on,
            "reason": command.reason,
            "recorded_at": uow.clock.now(),
        }
    )
