"""Commands: what a caller, or an event billing consumes, asks billing to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from coulisse.contracts.billing import PaymentMethod, RefundReason
from coulisse.contracts.collections import FeeKind

from ..domain.payments import RequestedAllocation


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    revenue_account: str | None = None


@dataclass(frozen=True)
class CreateInvoice:
    customer_id: UUID
    lines: tuple[LineInput, ...]
    currency: str = "EUR"
    issue_date: date | None = None
    due_date: date | None = None
    issue: bool = True


@dataclass(frozen=True)
class IssueInvoice:
    invoice_id: UUID
    issue_date: date | None = None
    due_date: date | None = None


@dataclass(frozen=True)
class IssueCreditNote:
    invoice_id: UUID
    reason: str
    lines: tuple[LineInput, ...] | None = None
    """None for a full credit note: everything that remains creditable."""
    issue_date: date | None = None


@dataclass(frozen=True)
class ReceivePayment:
    customer_id: UUID
    amount: Decimal
    method: PaymentMethod
    received_on: date
    external_ref: str
    currency: str = "EUR"
    allocations: tuple[RequestedAllocation, ...] | None = None


@dataclass(frozen=True)
class IssueRefund:
    customer_id: UUID
    amount: Decimal
    method: PaymentMethod
    reason: RefundReason
    currency: str = "EUR"
    issued_on: date | None = None
    request_id: UUID | None = None


# -- from the events billing consumes ---------------------------------------------------------


@dataclass(frozen=True)
class LearnRegistration:
    customer_id: UUID
    account_number: str
    display_name: str
    email: str | None
    """None when the customer was erased before billing could read their e-mail."""
    payment_terms_days: int


@dataclass(frozen=True)
class LearnUpdate:
    customer_id: UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class LearnErasure:
    customer_id: UUID
    account_number: str


@dataclass(frozen=True)
class IssueFeeInvoice:
    fee_id: UUID
    customer_id: UUID
    invoice_id: UUID
    kind: FeeKind
    amount: Decimal
    assessed_on: date


@dataclass(frozen=True)
class RecordWriteOff:
    write_off_id: UUID
    customer_id: UUID
    invoice_id: UUID
    amount_gross: Decimal
    written_off_on: date
    reason: str
