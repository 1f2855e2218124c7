"""Payments: money received, allocated to invoices (explicitly or oldest due first); what is
left over becomes the customer's credit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.contracts.billing import Allocation, PaymentMethod, PaymentReceived
from coulisse.contracts.money import ZERO
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

from .amounts import check_amount
from .customers import BillingCustomer
from .invoices import Invoice

MAX_EXTERNAL_REF = 100


@dataclass(frozen=True)
class RequestedAllocation:
    invoice_id: UUID
    amount: Decimal


@dataclass(frozen=True)
class PaymentAllocation:
    invoice_id: UUID
    invoice_number: str
    amount: Decimal


@dataclass
class Payment(Aggregate):
    id: UUID
    customer_id: UUID
    account_number: str
    amount: Decimal
    currency: str
    method: PaymentMethod
    received_on: date
    external_ref: str
    allocations: list[PaymentAllocation]
    unallocated: Decimal
    created_at: datetime

    @classmethod
    def receive(
        cls,
        customer: BillingCustomer,
        *,
        amount: Decimal,
        currency: str,
        method: PaymentMethod,
        received_on: date,
        external_ref: str,
        invoices: Mapping[UUID, Invoice],
        requested: Sequence[RequestedAllocation] | None,
        now: datetime,
    ) -> Payment:
        """`invoices`: the customer's open invoices, or the requested ones (locked by the caller)."""
        account_number = customer.ensure_known()
        if amount <= 0:
            raise InvalidInput("a payment amount must be above 0", field="amount")
        check_amount(amount, field="amount")
        external_ref = external_ref.strip()
        if not external_ref or len(external_ref) > MAX_EXTERNAL_REF:
            raise InvalidInput(
                f"the external reference must have 1 to {MAX_EXTERNAL_REF} characters",
                field="external_ref",
            )
        if requested is None:
            plan = oldest_due_first(amount, list(invoices.values()))
        else:
            plan = explicit(amount, requested, invoices, customer.id)
        allocations = []
        for index, (invoice, share) in enumerate(plan):
            invoice.allocate(share, field=f"allocations.{index}.amount")
            assert invoice.number is not None
            allocations.append(PaymentAllocation(invoice.id, invoice.number, share))
        unallocated = amount - sum((a.amount for a in allocations), ZERO)
        customer.add_credit(unallocated)
        payment = cls(
            id=uuid4(),
            customer_id=customer.id,
            account_number=account_number,
            amount=amount,
            currency=currency,
            method=method,
            received_on=received_on,
            external_ref=external_ref,
            allocations=allocations,
            unallocated=unallocated,
            created_at=now,
        )
        payment.record(
            PaymentReceived(
                payment_id=payment.id,
                customer_id=customer.id,
                account_number=account_number,
                amount=amount,
                currency=currency,
                method=method,
                received_on=received_on,
                external_ref=external_ref,
                allocations=[
                    Allocation(
                        invoice_id=a.invoice_id, invoice_number=a.invoice_number, amount=a.amount
                    )
                    for a in allocations
                ],
                unallocated=unallocated,
            )
        )
        return payment


def oldest_due_first(amount: Decimal, invoices: Sequence[Invoice]) -> list[tuple[Invoice, Decimal]]:
    plan = []
    left = amount
    for invoice in sorted(invoices, key=_due_order):
        if left <= 0:
            break
        if not invoice.is_open:
            continue
        share = min(left, invoice.amount_due)
        plan.append((invoice, share))
        left -= share
    return plan


def _due_order(invoice: Invoice) -> tuple[date, date, str]:
    assert invoice.due_date and invoice.issue_date and invoice.number
    return (invoice.due_date, invoice.issue_date, invoice.number)


def explicit(
    amount: Decimal,
    requested: Sequence[RequestedAllocation],
    invoices: Mapping[UUID, Invoice],
    customer_id: UUID,
) -> list[tuple[Invoice, Decimal]]:
    if not requested:
        raise InvalidInput(
            "give at least one allocation, or none for oldest due first", field="allocations"
        )
    seen: set[UUID] = set()
    plan = []
    for index, wanted in enumerate(requested):
        where = f"allocations.{index}"
        if wanted.amount <= 0:
            raise InvalidInput("an allocation must be above 0", field=f"{where}.amount")
        if wanted.invoice_id in seen:
            raise InvalidInput(
                "an invoice appears twice in the allocations", field=f"{where}.invoice_id"
            )
        seen.add(wanted.invoice_id)
        invoice = invoices.get(wanted.invoice_id)
        if invoice is None or invoice.customer_id != customer_id:
            raise InvalidInput(
                f"no invoice {wanted.invoice_id} for this customer", field=f"{where}.invoice_id"
            )
        if invoice.status not in ("issued", "partially_paid"):
            raise Conflict(
                f"invoice {invoice.number or invoice.id} is {invoice.status}: "
                "no payment can be allocated to it",
                field=f"{where}.invoice_id",
            )
        plan.append((invoice, wanted.amount))
    total = sum((wanted.amount for wanted in requested), ZERO)
    if total > amount:
        raise InvalidInput(
            f"the allocations add up to {total:.2f}, more than the payment's {amount:.2f}",
            field="allocations",
        )
    return plan


def duplicate_payment(external_ref: str) -> Conflict:
    """One payment per external reference and customer: a bank line is never counted twice."""
    return Conflict(
        f"a payment with the external reference {external_ref!r} was already received "
        "from this customer",
        field="external_ref",
    )
