"""HTTP bodies of payments, refunds and balances."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from coulisse.contracts.billing import Allocation, InvoiceKind, PaymentMethod, RefundReason
from coulisse.contracts.money import Currency, Money, PositiveMoney
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel

from ...domain.balance import Balance
from ...domain.invoices import Invoice, InvoiceStatus
from ...domain.payments import Payment, RequestedAllocation
from ...domain.refunds import Refund
from .fields import ExternalRef


class AllocationIn(RequestModel):
    invoice_id: UUID
    amount: PositiveMoney

    def to_domain(self) -> RequestedAllocation:
        return RequestedAllocation(self.invoice_id, self.amount)


class PaymentCreate(RequestModel):
    customer_id: UUID
    amount: PositiveMoney
    currency: Currency = "EUR"
    method: PaymentMethod
    received_on: IsoDate
    external_ref: ExternalRef = Field(description="The bank's or provider's reference.")
    allocations: list[AllocationIn] | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Default: the customer's open invoices, oldest due first.",
    )


class PaymentRead(ResponseModel):
    id: UUID
    payment_id: UUID
    customer_id: UUID
    account_number: str
    amount: Money
    currency: str
    method: PaymentMethod
    received_on: date
    external_ref: str
    allocations: list[Allocation]
    unallocated: Money
    status: Literal["received"] = "received"
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentRead:
        return cls(
            id=payment.id,
            payment_id=payment.id,
            customer_id=payment.customer_id,
            account_number=payment.account_number,
            amount=payment.amount,
            currency=payment.currency,
            method=payment.method,
            received_on=payment.received_on,
            external_ref=payment.external_ref,
            allocations=[
                Allocation(
                    invoice_id=a.invoice_id, invoice_number=a.invoice_number, amount=a.amount
                )
                for a in payment.allocations
            ],
            unallocated=payment.unallocated,
            created_at=payment.created_at,
        )


class RefundCreate(RequestModel):
    customer_id: UUID
    amount: PositiveMoney
    currency: Currency = "EUR"
    method: PaymentMethod
    reason: RefundReason
    request_id: UUID | None = Field(None, description="The customer request that asked for it.")
    issued_on: IsoDate | None = Field(None, description="Default: today (Europe/Paris).")


class RefundRead(ResponseModel):
    id: UUID
    refund_id: UUID
    customer_id: UUID
    account_number: str
    amount: Money
    currency: str
    method: PaymentMethod
    issued_on: date
    reason: RefundReason
    request_id: UUID | None
    status: Literal["issued"] = "issued"
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundRead:
        return cls(
            id=refund.id,
            refund_id=refund.id,
            customer_id=refund.customer_id,
            account_number=refund.account_number,
            amount=refund.amount,
            currency=refund.currency,
            method=refund.method,
            issued_on=refund.issued_on,
            reason=refund.reason,
            request_id=refund.request_id,
            created_at=refund.created_at,
        )


class OpenInvoiceRead(ResponseModel):
    invoice_id: UUID
    number: str | None
    kind: InvoiceKind
    issue_date: date | None
    due_date: date | None
    total_gross: Money
    amount_due: Money
    status: InvoiceStatus

    @classmethod
    def of(cls, invoice: Invoice) -> OpenInvoiceRead:
        return cls(
            invoice_id=invoice.id,
            number=invoice.number,
            kind=invoice.kind,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total_gross=invoice.totals.gross,
            amount_due=invoice.amount_due,
            status=invoice.status,
        )


class BalanceRead(ResponseModel):
    customer_id: UUID
    account_number: str
    currency: str
    balance: Money = Field(description="Positive: the customer owes; negative: billing owes them.")
    open_invoices: list[OpenInvoiceRead]
    credit_available: Money = Field(description="Unallocated payments and credit, less refunds.")
    invoiced: Money
    credited: Money
    paid: Money
    refunded: Money
    written_off: Money

    @classmethod
    def of(cls, customer_id: UUID, account_number: str, balance: Balance) -> BalanceRead:
        return cls(
            customer_id=customer_id,
            account_number=account_number,
            currency="EUR",
            balance=balance.balance,
            open_invoices=[OpenInvoiceRead.of(i) for i in balance.open_invoices],
            credit_available=balance.credit_available,
            invoiced=balance.invoiced,
            credited=balance.credited,
            paid=balance.paid,
            refunded=balance.refunded,
            written_off=balance.written_off,
        )
