"""Events of the collections service, on `collections.events`, keyed by customer id."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from .base import ContractModel, EventPayload
from .money import Money
from .out_of_band import OutOfBandWrite
from .topics import COLLECTIONS_EVENTS

DunningLevel = Literal[1, 2, 3, 4]
DunningChannel = Literal["email", "letter", "call", "formal_notice"]
FeeKind = Literal["recovery_indemnity", "late_interest"]
DisputeOutcome = Literal["upheld", "rejected"]
InsolvencyKind = Literal["safeguard", "receivership", "liquidation"]


class Installment(ContractModel):
    """One due date of a payment plan."""

    due_date: date
    amount: Money


class DunningNoticeSent(EventPayload):
    """A customer was reminded of overdue invoices, at the given escalation level."""

    TYPE: ClassVar[str] = "collections.dunning.notice_sent.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "notice_id"

    notice_id: UUID
    customer_id: UUID
    level: DunningLevel
    level_name: str
    invoice_ids: list[UUID] = Field(min_length=1)
    amount_due: Money
    sent_on: date
    channel: DunningChannel


class FeeAssessed(EventPayload):
    """A late-payment fee is due; billing answers it with a `fee` invoice."""

    TYPE: ClassVar[str] = "collections.fee.assessed.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "fee_id"

    fee_id: UUID
    customer_id: UUID
    invoice_id: UUID
    kind: FeeKind
    amount: Money
    assessed_on: date


class PromiseRecorded(EventPayload):
    """A customer promised to pay an amount on a date."""

    TYPE: ClassVar[str] = "collections.promise.recorded.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "promise_id"

    promise_id: UUID
    customer_id: UUID
    amount: Money
    promised_on: date
    request_id: UUID | None = None


class PaymentPlanAgreed(EventPayload):
    """The customer will settle the listed invoices by installments."""

    TYPE: ClassVar[str] = "collections.payment_plan.agreed.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "plan_id"

    plan_id: UUID
    customer_id: UUID
    invoice_ids: list[UUID] = Field(min_length=1)
    installments: list[Installment] = Field(min_length=1)


class PaymentPlanBreached(EventPayload):
    """An installment of a payment plan was missed: the plan is broken."""

    TYPE: ClassVar[str] = "collections.payment_plan.breached.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "plan_id"

    plan_id: UUID
    customer_id: UUID
    missed_installment_due_date: date


class DisputeOpened(EventPayload):
    """The customer contests an invoice."""

    TYPE: ClassVar[str] = "collections.dispute.opened.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "dispute_id"

    dispute_id: UUID
    customer_id: UUID
    invoice_id: UUID
    reason: str


class DisputeResolved(EventPayload):
    """A dispute ended: `upheld` means the customer was right."""

    TYPE: ClassVar[str] = "collections.dispute.resolved.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "dispute_id"

    dispute_id: UUID
    customer_id: UUID
    invoice_id: UUID
    outcome: DisputeOutcome


class ReceivableClassifiedDoubtful(EventPayload):
    """A customer's overdue invoices are now classified as doubtful receivables.

    The subject is the customer: the classification concerns their receivable as a whole.
    """

    TYPE: ClassVar[str] = "collections.receivable.classified_doubtful.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    account_number: str
    invoice_ids: list[UUID] = Field(min_length=1)
    amount_gross: Money
    classified_on: date


class ReceivableWrittenOff(EventPayload):
    """An invoice will not be collected: its remaining amount is written off as a loss."""

    TYPE: ClassVar[str] = "collections.receivable.written_off.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "write_off_id"

    write_off_id: UUID
    customer_id: UUID
    account_number: str
    invoice_id: UUID
    invoice_number: str
    amount_net: Money
    amount_vat: Money
    amount_gross: Money
    written_off_on: date
    reason: str
    was_doubtful: bool = Field(description="Whether it had been classified doubtful before.")
    vat_recovered: bool = Field(
        default=True,
        description=(
            "Whether the VAT of the amount written off is recovered: true only when the debt is"
            " definitively irrecoverable (liquidation, debtor gone, enforcement failed); false"
            " books the whole gross amount as a loss. Absent from events written before the"
            " field existed, which all recovered it: hence true by default."
        ),
    )


class PromiseKept(EventPayload):
    """A promise to pay was kept: what it promised arrived by the promised date plus grace."""

    TYPE: ClassVar[str] = "collections.promise.kept.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "promise_id"

    promise_id: UUID
    customer_id: UUID
    amount: Money
    promised_on: date
    paid: Money = Field(description="What arrived by the promised date plus the grace period.")


class PromiseBroken(EventPayload):
    """A promise to pay was broken: the promised date plus grace passed without the amount."""

    TYPE: ClassVar[str] = "collections.promise.broken.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "promise_id"

    promise_id: UUID
    customer_id: UUID
    amount: Money
    promised_on: date
    paid: Money = Field(description="What arrived by the promised date plus the grace period.")


class PaymentPlanCompleted(EventPayload):
    """Every installment of a payment plan was met: the plan is over."""

    TYPE: ClassVar[str] = "collections.payment_plan.completed.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "plan_id"

    plan_id: UUID
    customer_id: UUID
    completed_on: date


class InsolvencyRecorded(EventPayload):
    """Insolvency proceedings (procédure collective) were opened against the customer.

    The subject is the customer: the proceedings concern them as a whole.
    """

    TYPE: ClassVar[str] = "collections.insolvency.recorded.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "customer_id"

    customer_id: UUID
    kind: InsolvencyKind
    opened_on: date


class FeeWaived(EventPayload):
    """A late-payment charge on an invoice is waived before it was assessed: the runs will not
    assess it. The reason is kept for whoever asks why the customer was spared."""

    TYPE: ClassVar[str] = "collections.fee.waived.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
    SUBJECT_FIELD: ClassVar[str] = "waiver_id"

    waiver_id: UUID
    customer_id: UUID
    invoice_id: UUID
    kind: FeeKind
    reason: str = Field(min_length=1, max_length=500)
    waived_on: date


class CollectionsOutOfBandWrite(OutOfBandWrite, EventPayload):
    """A row of collections' database was changed by a database role other than the service's own.

    Written by a trigger, in the transaction of the change; the fields are those of every
    service's `<service>.database.out_of_band_write.v1`.
    """

    TYPE: ClassVar[str] = "collections.database.out_of_band_write.v1"
    TOPIC: ClassVar[str] = COLLECTIONS_EVENTS
