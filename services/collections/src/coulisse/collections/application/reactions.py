"""Reactions to the events collections consumes: billing's invoices, payments and credit notes
build its view of the receivables; the customer service's events tell who owes.

They run inside the consumer's unit of work, committed with the inbox row, so each event takes
effect once; they are idempotent on their own too (a fact is applied once per fact id), and
accept the facts in any order: a payment may be read before its invoice, a payment or an invoice
before the customer's registration.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from uuid import UUID

from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued, PaymentReceived
from coulisse.contracts.money import ZERO

from ..adapters.uow import CollectionsUnitOfWork
from ..domain.receivables import ReceivableBook
from ..domain.recipients import NoticeRecipient
from .commands import (
    ApplyBillingFact,
    BillingFact,
    ForgetRecipient,
    LearnErasure,
    LearnRecipient,
    LearnRegistration,
    LearnUpdate,
)


def _reductions(fact: BillingFact) -> Iterator[tuple[UUID, UUID, Decimal, date]]:
    """(fact id, invoice id, amount, day) of what the fact settled."""
    match fact:
        case PaymentReceived():
            per_invoice: dict[UUID, Decimal] = {}
            for allocation in fact.allocations:
                per_invoice[allocation.invoice_id] = (
                    per_invoice.get(allocation.invoice_id, ZERO) + allocation.amount
                )
            for invoice_id, amount in per_invoice.items():
                yield fact.payment_id, invoice_id, amount, fact.received_on
        case CreditNoteIssued():
            yield fact.credit_note_id, fact.invoice_id, fact.total_gross, fact.issue_date
        case InvoiceIssued():
            pass


def _invoices(fact: BillingFact) -> set[UUID]:
    if isinstance(fact, InvoiceIssued):
        return {fact.invoice_id}
    return {invoice_id for _, invoice_id, _, _ in _reductions(fact)}


async def apply_billing_fact(command: ApplyBillingFact, uow: CollectionsUnitOfWork) -> None:
    fact = command.fact
    customer_id = fact.customer_id
    # Locks in the order of every transaction: receivables (the fact's and those of the
    # customer's active plans, which a payment may complete), customer, promises, plans.
    plan_invoices = await uow.plans.active_invoice_ids([customer_id])
    receivables = await uow.receivables.lock(_invoices(fact) | plan_invoices)
    book = ReceivableBook(receivables)
    changed = book.apply(fact)
    customer = await uow.customers.learn(customer_id)
    customer.account_known(fact.account_number)
    await uow.customers.save(customer)
    for receivable in changed:
        await uow.receivables.save(receivable)
    if isinstance(fact, PaymentReceived):
        for promise in await uow.promises.pending_of([customer_id], for_update=True):
            if promise.payment_received(fact.payment_id, fact.amount, fact.received_on):
                await uow.promises.save(promise)
    reductions = list(_reductions(fact))
    if not reductions:
        return
    known = {r.invoice_id: r for r in book}
    for plan in await uow.plans.active_of([customer_id], for_update=True):
        counted = [plan.settled(*reduction) for reduction in reductions]
        if not any(counted):
            continue
        if plan.complete_if_paid(reductions[0][3], known):
            for invoice_id in plan.invoice_ids:
                if invoice_id in known:
                    await uow.receivables.save(known[invoice_id])
        await uow.plans.save(plan)


async def learn_registration(command: LearnRegistration, uow: CollectionsUnitOfWork) -> None:
    customer = await uow.customers.learn(command.customer_id)
    customer.registered(
        kind=command.kind,
        account_number=command.account_number,
        payment_terms_days=command.payment_terms_days,
    )
    await uow.customers.save(customer)


async def learn_update(command: LearnUpdate, uow: CollectionsUnitOfWork) -> None:
    terms = command.changes.get("payment_terms_days")
    if terms is None:
        return  # nothing else changed here (contact details: learn_recipient)
    customer = await uow.customers.learn(command.customer_id)
    customer.payment_terms_days = terms
    await uow.customers.save(customer)


async def learn_erasure(command: LearnErasure, uow: CollectionsUnitOfWork) -> None:
    customer = await uow.customers.learn(command.customer_id)
    customer.erase(account_number=command.account_number)
    await uow.customers.save(customer)
    await uow.disputes.erase_reasons(command.customer_id)
    await uow.waivers.erase_reasons(command.customer_id)


# -- notice recipients -------------------------------------------------------------------------


async def learn_recipient(command: LearnRecipient, uow: CollectionsUnitOfWork) -> None:
    """Keeps the contact details notices are sent to; an event read after the customer's
    erasure brings none of them back."""
    customer = await uow.customers.learn(command.customer_id)
    if customer.erased:
        return
    recipient = await uow.recipients.get(command.customer_id) or NoticeRecipient(
        command.customer_id
    )
    if recipient.learn(command.changes, command.stated_at):
        await uow.recipients.save(recipient)


async def forget_recipient(command: ForgetRecipient, uow: CollectionsUnitOfWork) -> None:
    """The right to be forgotten: the contact details go, and so do the documents sent, which
    name the customer; what was sent when (status, dates, Message-ID) stays."""
    await uow.customers.learn(command.customer_id)  # the lock the sender takes too
    await uow.recipients.forget(command.customer_id)
    for delivery in await uow.deliveries.of_customer(command.customer_id):
        delivery.erase()
        await uow.deliveries.save(delivery)
