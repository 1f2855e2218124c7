"""Events of the billing service, on `billing.events`, keyed by customer id."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from .base import ContractModel, EventPayload
from .money import Currency, DecimalString, Money
from .out_of_band import OutOfBandWrite
from .topics import BILLING_EVENTS

InvoiceKind = Literal["standard", "fee"]
PaymentMethod = Literal["transfer", "card", "direct_debit", "check", "cash"]
RefundReason = Literal["overpayment", "credit_note", "goodwill"]


class DocumentLine(ContractModel):
    """One line of an invoice or credit note, already rounded to the cent."""

    description: str
    quantity: DecimalString
    unit_price: Money
    vat_rate: DecimalString = Field(description='Percentage, e.g. "20.0".')
    net: Money
    vat: Money
    revenue_account: str | None = None


class VatSubtotal(ContractModel):
    """Net and VAT of a document for one VAT rate, as the VAT return needs them."""

    vat_rate: DecimalString
    net: Money
    vat: Money


class Allocation(ContractModel):
    """The part of a payment that settles one invoice."""

    invoice_id: UUID
    invoice_number: str
    amount: Money


class InvoiceIssued(EventPayload):
    """An invoice was issued: the customer owes `total_gross` by `due_date`."""

    TYPE: ClassVar[str] = "billing.invoice.issued.v1"
    TOPIC: ClassVar[str] = BILLING_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "invoice_id"

    invoice_id: UUID
    number: str = Field(description="Gapless per series and year, e.g. F2026-000123.")
    kind: InvoiceKind
    customer_id: UUID
    account_number: str
    issue_date: date
    due_date: date
    currency: Currency = "EUR"
    lines: list[DocumentLine] = Field(min_length=1)
    vat_breakdown: list[VatSubtotal]
    total_net: Money
    total_vat: Money
    total_gross: Money


class CreditNoteIssued(EventPayload):
    """A credit note cancelled all or part of an invoice, in its own numbering series."""

    TYPE: ClassVar[str] = "billing.credit_note.issued.v1"
    TOPIC: ClassVar[str] = BILLING_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "credit_note_id"

    credit_note_id: UUID
    number: str = Field(description="Own gapless series, e.g. A2026-000007.")
    invoice_id: UUID
    invoice_number: str
    customer_id: UUID
    account_number: str
    issue_date: date
    reason: str
    lines: list[DocumentLine] = Field(min_length=1)
    vat_breakdown: list[VatSubtotal]
    total_net: Money
    total_vat: Money
    total_gross: Money


class PaymentReceived(EventPayload):
    """Money came in from a customer and was allocated to invoices, the rest kept as credit."""

    TYPE: ClassVar[str] = "billing.payment.received.v1"
    TOPIC: ClassVar[str] = BILLING_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "payment_id"

    payment_id: UUID
    customer_id: UUID
    account_number: str
    amount: Money
    currency: Currency = "EUR"
    method: PaymentMethod
    received_on: date
    external_ref: str = Field(description="The bank's or payment provider's reference.")
    allocations: list[Allocation]
    unallocated: Money = Field(description='The part that became customer credit; "0.00" if none.')


class RefundIssued(EventPayload):
    """Money was paid back to a customer."""

    TYPE: ClassVar[str] = "billing.refund.issued.v1"
    TOPIC: ClassVar[str] = BILLING_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "refund_id"

    refund_id: UUID
    customer_id: UUID
    account_number: str
    amount: Money
    currency: Currency = "EUR"
    method: PaymentMethod
    issued_on: date
    reason: RefundReason
    request_id: UUID | None = None


class BillingOutOfBandWrite(OutOfBandWrite, EventPayload):
    """A row of billing's database was changed by a database role other than the service's own.

    Written by a trigger, in the transaction of the change; the fields are those of every
    service's `<service>.database.out_of_band_write.v1`.
    """

    TYPE: ClassVar[str] = "billing.database.out_of_band_write.v1"
    TOPIC: ClassVar[str] = BILLING_EVENTS
