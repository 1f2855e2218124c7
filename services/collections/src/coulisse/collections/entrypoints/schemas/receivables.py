"""Bodies of a customer's receivables: their collections, the worklist, insolvency, doubtful
receivables and write-offs."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import Field

from coulisse.contracts.billing import InvoiceKind
from coulisse.contracts.collections import (
    DunningChannel,
    FeeKind,
    InsolvencyKind,
    ReceivableClassifiedDoubtful,
)
from coulisse.contracts.customer import CustomerKind
from coulisse.contracts.money import DecimalString, Money
from coulisse.platform.api import IsoDate, RequestModel, ResponseModel

from ...application.handlers import Classification
from ...application.queries import CustomerCollections, ReceivableView, WorkItem, WorkReason
from ...domain.engine import HoldReason
from ...domain.write_offs import WriteOff, WriteOffReason
from .agreements import DisputeRead, PlanRead, PromiseRead
from .policy import ExclusionRead, InsolvencyRead


class NextLevelRead(ResponseModel):
    level: int
    level_name: str
    channel: DunningChannel
    on: date = Field(description="The first day a run may reach it.")


class OpenReceivableRead(ResponseModel):
    invoice_id: UUID
    number: str
    kind: InvoiceKind
    issue_date: date
    due_date: date
    total_gross: Money
    paid: Money
    credited: Money
    written_off: Money
    amount_due: Money
    overdue: bool
    days_late: int
    level: int = Field(description="The dunning level reached: 0 before the first notice.")
    level_reached_on: date | None
    disputed: bool
    plan_id: UUID | None
    doubtful_on: date | None
    held: HoldReason | None = Field(description="Why dunning of it waits, if it does.")
    next_level: NextLevelRead | None
    waived_charges: list[FeeKind] = Field(
        default_factory=list, description="Charges the runs will not assess on it."
    )

    @classmethod
    def of(cls, view: ReceivableView) -> OpenReceivableRead:
        receivable, invoice = view.receivable, view.receivable.invoice
        assert invoice is not None  # only known invoices are shown
        upcoming = view.next
        return cls(
            invoice_id=receivable.invoice_id,
            number=invoice.number,
            kind=invoice.kind,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            total_gross=invoice.gross,
            paid=receivable.paid,
            credited=receivable.credited,
            written_off=receivable.written_off,
            amount_due=receivable.amount_due,
            overdue=view.overdue,
            days_late=view.days_late,
            level=receivable.level,
            level_reached_on=receivable.level_reached_on,
            disputed=receivable.disputed,
            plan_id=receivable.plan_id,
            doubtful_on=receivable.doubtful_on,
            held=view.held,
            waived_charges=sorted(receivable.waived_charges),
            next_level=None
            if upcoming is None
            else NextLevelRead(
                level=upcoming.number,
                level_name=upcoming.level.name,
                channel=upcoming.level.channel,
                on=upcoming.on,
            ),
        )


class NextActionRead(NextLevelRead):
    invoice_id: UUID
    invoice_number: str


class CustomerCollectionsRead(ResponseModel):
    customer_id: UUID
    account_number: str | None
    kind: CustomerKind | None = Field(description="None until the customer's registration is read.")
    as_of: date
    currency: str = "EUR"
    amount_due: Money
    amount_overdue: Money
    own_policy: bool = Field(description="Whether the customer has a policy of their own.")
    exclusion: ExclusionRead | None
    insolvency: InsolvencyRead | None
    late_payment_rate: DecimalString | None = Field(
        None,
        description="The rate of the customer's contract (percent a year); None: the default rate.",
    )
    receivables: list[OpenReceivableRead] = Field(description="Open invoices, oldest due first.")
    promises: list[PromiseRead] = Field(description="Promises still standing.")
    payment_plans: list[PlanRead] = Field(description="Active plans.")
    disputes: list[DisputeRead] = Field(description="Open disputes.")
    next_action: NextActionRead | None = Field(
        description="The next notice due, among invoices not held."
    )

    @classmethod
    def of(cls, found: CustomerCollections) -> CustomerCollectionsRead:
        customer = found.customer
        action = found.next_action
        next_action = None
        if action is not None and action.next is not None:
            next_action = NextActionRead(
                invoice_id=action.receivable.invoice_id,
                invoice_number=action.receivable.invoice_number or "",
                level=action.next.number,
                level_name=action.next.level.name,
                channel=action.next.level.channel,
                on=action.next.on,
            )
        return cls(
            customer_id=customer.customer_id,
            account_number=customer.account_number,
            kind=customer.kind,
            as_of=found.as_of,
            amount_due=found.amount_due,
            amount_overdue=found.amount_overdue,
            own_policy=found.own_policy,
            exclusion=ExclusionRead.of(customer.exclusion),
            insolvency=InsolvencyRead.of(customer.insolvency),
            late_payment_rate=customer.contract_rate.rate if customer.contract_rate else None,
            receivables=[OpenReceivableRead.of(v) for v in found.receivables],
            promises=[PromiseRead.of(p) for p in found.promises],
            payment_plans=[PlanRead.of(p) for p in found.plans],
            disputes=[DisputeRead.of(d) for d in found.disputes],
            next_action=next_action,
        )


class WorkItemRead(ResponseModel):
    customer_id: UUID
    account_number: str | None
    amount_due: Money
    amount_overdue: Money
    oldest_due_date: date
    level: int = Field(description="The highest level the customer's open invoices reached.")
    reasons: list[WorkReason]
    next_action_on: date | None

    @classmethod
    def of(cls, item: WorkItem) -> WorkItemRead:
        return cls(
            customer_id=item.customer.customer_id,
            account_number=item.customer.account_number,
            amount_due=item.amount_due,
            amount_overdue=item.amount_overdue,
            oldest_due_date=item.oldest_due_date,
            level=item.level,
            reasons=list(item.reasons),
            next_action_on=item.next_action_on,
        )


class InsolvencyCreate(RequestModel):
    kind: InsolvencyKind
    opened_on: IsoDate | None = Field(None, description="The judgment's date; default: today.")


class DoubtfulRead(ResponseModel):
    customer_id: UUID
    account_number: str
    invoice_ids: list[UUID]
    amount_gross: Money
    classified_on: date

    @classmethod
    def of(cls, event: ReceivableClassifiedDoubtful | None) -> DoubtfulRead | None:
        if event is None:
            return None
        return cls(
            customer_id=event.customer_id,
            account_number=event.account_number,
            invoice_ids=event.invoice_ids,
            amount_gross=event.amount_gross,
            classified_on=event.classified_on,
        )

    @classmethod
    def of_classification(cls, found: Classification) -> DoubtfulRead:
        read = cls.of(found.doubtful)
        assert read is not None  # classifying nothing is refused
        return read


class InsolvencyRecordRead(ResponseModel):
    customer_id: UUID
    kind: InsolvencyKind
    opened_on: date
    classified_doubtful: DoubtfulRead | None = Field(
        description="The receivables overdue on the opening date, now doubtful."
    )

    @classmethod
    def of(cls, found: Classification) -> InsolvencyRecordRead:
        insolvency = found.customer.insolvency
        assert insolvency is not None
        return cls(
            customer_id=found.customer.customer_id,
            kind=insolvency.kind,
            opened_on=insolvency.opened_on,
            classified_doubtful=DoubtfulRead.of(found.doubtful),
        )


class WriteOffCreate(RequestModel):
    invoice_id: UUID
    reason: WriteOffReason


class WriteOffRead(ResponseModel):
    id: UUID
    write_off_id: UUID
    customer_id: UUID
    account_number: str
    invoice_id: UUID
    invoice_number: str
    amount_net: Money
    amount_vat: Money
    amount_gross: Money
    written_off_on: date
    reason: WriteOffReason
    was_doubtful: bool
    vat_recovered: bool = Field(description="Only when the debt is definitively irrecoverable.")

    @classmethod
    def of(cls, write_off: WriteOff) -> WriteOffRead:
        return cls(
            id=write_off.write_off_id,
            write_off_id=write_off.write_off_id,
            customer_id=write_off.customer_id,
            account_number=write_off.account_number,
            invoice_id=write_off.invoice_id,
            invoice_number=write_off.invoice_number,
            amount_net=write_off.amount_net,
            amount_vat=write_off.amount_vat,
            amount_gross=write_off.amount_gross,
            written_off_on=write_off.written_off_on,
            reason=write_off.reason,
            was_doubtful=write_off.was_doubtful,
            vat_recovered=write_off.vat_recovered,
        )
