"""Handlers of commands: invoices, credit notes, payments and refunds.

Each runs inside one unit of work that the caller commits.

A document number is taken last (`uow.numbering.next`): the series' counter row stays locked until
commit and every issuer of the series waits for it, so everything that does not need the number
(checks, reads, the document's other rows) is done before, and only what carries the number after.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from uuid import UUID

from coulisse.platform.clock import today
from coulisse.platform.domain import InvalidInput, NotFound

from ..adapters.uow import BillingUnitOfWork
from ..domain.amounts import Line, check_currency
from ..domain.calendar import not_in_future
from ..domain.credit_notes import CreditNote, check_credit_date, check_reason
from ..domain.customers import BillingCustomer, unknown_customer
from ..domain.invoices import Invoice, check_due_date
from ..domain.numbering import CREDIT_NOTE_SERIES, INVOICE_SERIES
from ..domain.payments import Payment, duplicate_payment
from ..domain.refunds import Refund
from .commands import (
    CreateInvoice,
    IssueCreditNote,
    IssueInvoice,
    IssueRefund,
    LineInput,
    ReceivePayment,
)


def priced_lines(lines: Sequence[LineInput]) -> list[Line]:
    return [
        Line.priced(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            revenue_account=line.revenue_account,
            field=f"lines.{index}",
        )
        for index, line in enumerate(lines)
    ]


async def known_customer(
    uow: BillingUnitOfWork, customer_id: UUID, *, for_update: bool = False
) -> BillingCustomer:
    customer = await uow.customers.get(customer_id, for_update=for_update)
    if customer is None:
        raise unknown_customer(customer_id)
    customer.ensure_known()
    return customer


async def create_invoice(command: CreateInvoice, uow: BillingUnitOfWork) -> Invoice:
    customer = await known_customer(uow, command.customer_id)
    account_number = customer.ensure_billable()
    check_currency(command.currency)
    if command.issue_date is not None:
        not_in_future(command.issue_date, today=today(uow.clock), field="issue_date")
    invoice = Invoice.draft(
        customer_id=customer.id,
        account_number=account_number,
        lines=priced_lines(command.lines),
        currency=command.currency,
        issue_date=command.issue_date,
        due_date=command.due_date,
        now=uow.clock.now(),
    )
    # Written as a draft first (no number yet), then issued like any draft: its rows and lines
    # are in before the counter is locked, and numbering it is one UPDATE.
    await uow.invoices.add(invoice)
    if command.issue:
        await _issue(invoice, customer, uow, command.issue_date, command.due_date)
        await uow.invoices.save(invoice)
    return invoice


async def issue_invoice(command: IssueInvoice, uow: BillingUnitOfWork) -> Invoice:
    invoice = await uow.invoices.get(command.invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"no invoice {command.invoice_id}")
    customer = await known_customer(uow, invoice.customer_id)
    customer.ensure_billable()
    await _issue(
        invoice,
        customer,
        uow,
        command.issue_date or invoice.issue_date,
        command.due_date or invoice.due_date,
    )
    await uow.invoices.save(invoice)
    return invoice


async def _issue(
    invoice: Invoice,
    customer: BillingCustomer,
    uow: BillingUnitOfWork,
    issue_date: date | None,
    due_date: date | None,
) -> None:
    invoice.ensure_draft()
    day = today(uow.clock)
    issue_date = not_in_future(issue_date or day, today=day, field="issue_date")
    due_date = due_date or issue_date + timedelta(days=customer.terms_days)
    check_due_date(issue_date, due_date)
    number, issue_date = await uow.numbering.next(INVOICE_SERIES, issue_date)
    invoice.issue(number=number, issue_date=issue_date, due_date=due_date, now=uow.clock.now())


async def issue_credit_note(command: IssueCreditNote, uow: BillingUnitOfWork) -> CreditNote:
    reason = check_reason(command.reason)
    invoice = await uow.invoices.get(command.invoice_id, for_update=True)
    if invoice is None:
        raise NotFound(f"no invoice {command.invoice_id}")
    day = today(uow.clock)
    issue_date = not_in_future(command.issue_date or day, today=day, field="issue_date")
    check_credit_date(invoice, issue_date)
    lines = invoice.remaining_lines() if command.lines is None else priced_lines(command.lines)
    to_customer_credit = invoice.credit(lines)
    if to_customer_credit > 0:
        customer = await known_customer(uow, invoice.customer_id, for_update=True)
        customer.add_credit(to_customer_credit)
        await uow.customers.save(customer)
    await uow.invoices.save(invoice)
    # The credit note's row cannot exist without its number (nor its lines without the row):
    # they are what is written after the number is taken.
    number, issue_date = await uow.numbering.next(CREDIT_NOTE_SERIES, issue_date)
    note = CreditNote.issue(
        invoice,
        number=number,
        issue_date=issue_date,
        reason=reason,
        lines=lines,
        to_customer_credit=to_customer_credit,
        now=uow.clock.now(),
    )
    await uow.credit_notes.add(note)
    return note


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
