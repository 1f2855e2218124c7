"""Commands: what a caller, or an event collections consumes, asks collections to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued, PaymentReceived
from coulisse.contracts.collections import DisputeOutcome, DunningChannel, FeeKind, InsolvencyKind
from coulisse.contracts.customer import CustomerKind

from ..domain.calendar import DEFAULT_GRACE_DAYS
from ..domain.rates import ReferenceRateKind
from ..domain.recipients import RecipientValue
from ..domain.write_offs import WriteOffReason


@dataclass(frozen=True)
class LevelInput:
    days: int
    channel: DunningChannel
    name: str
    min_days_since_previous: int = 0
    assesses: tuple[FeeKind, ...] = ()


@dataclass(frozen=True)
class PutDefaultPolicy:
    levels: tuple[LevelInput, ...]


@dataclass(frozen=True)
class ExclusionInput:
    reason: str
    until: date | None = None


@dataclass(frozen=True)
class ArrangeCustomerDunning:
    """The customer's own policy (None: the default) and exclusion (None: none), as a whole."""

    customer_id: UUID
    levels: tuple[LevelInput, ...] | None = None
    exclusion: ExclusionInput | None = None


@dataclass(frozen=True)
class RunDunning:
    as_of: date
    dry_run: bool = False


@dataclass(frozen=True)
class OpenDispute:
    invoice_id: UUID
    reason: str


@dataclass(frozen=True)
class ResolveDispute:
    dispute_id: UUID
    outcome: DisputeOutcome


@dataclass(frozen=True)
class RecordPromise:
    customer_id: UUID
    amount: Decimal
    promised_on: date
    grace_days: int = DEFAULT_GRACE_DAYS
    request_id: UUID | None = None


@dataclass(frozen=True)
class InstallmentInput:
    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class AgreePaymentPlan:
    customer_id: UUID
    invoice_ids: tuple[UUID, ...]
    installments: tuple[InstallmentInput, ...]
    grace_days: int = DEFAULT_GRACE_DAYS


@dataclass(frozen=True)
class RecordInsolvency:
    customer_id: UUID
    kind: InsolvencyKind
    opened_on: date | None = None
    """None: today."""


@dataclass(frozen=True)
class ClassifyDoubtful:
    customer_id: UUID


@dataclass(frozen=True)
class WriteOffReceivable:
    invoice_id: UUID
    reason: WriteOffReason


# -- from the events collections consumes ------------------------------------------------------

BillingFact = InvoiceIssued | PaymentReceived | CreditNoteIssued


@dataclass(frozen=True)
class ApplyBillingFact:
    fact: BillingFact


@dataclass(frozen=True)
class LearnRegistration:
    customer_id: UUID
    kind: CustomerKind
    account_number: str
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
class LearnRecipient:
    """Contact details stated by the customer service at `stated_at` (the event's time): all
    of them at registration, the changed ones in an update."""

    customer_id: UUID
    changes: Mapping[str, RecipientValue]
    stated_at: datetime


@dataclass(frozen=True)
class ForgetRecipient:
    customer_id: UUID


@dataclass(frozen=True)
class WaiveCharge:
    invoice_id: UUID
    kind: FeeKind
    reason: str


@dataclass(frozen=True)
class EnterReferenceRate:
    kind: ReferenceRateKind
    effective_on: date
    rate: Decimal
    source: str


@dataclass(frozen=True)
class AgreeContractRate:
    """The customer's contract rate from `effective_on`; `rate` None goes back to the default."""

    customer_id: UUID
    rate: Decimal | None
    effective_on: date | None = None
    reference: str = ""
