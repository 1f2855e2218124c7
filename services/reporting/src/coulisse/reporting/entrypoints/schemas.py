"""Response models of the reporting routes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import Field

from coulisse.contracts.money import Money
from coulisse.platform.api import ResponseModel
from coulisse.platform.pagination import Page

from ..adapters.repositories import InvoiceView
from ..application.queries import Customer360
from ..domain.timeline import TimelineEntry


class TimelineEntryRead(ResponseModel):
    position: int = Field(
        description="The entry's place in the read model's sequence (the SSE id)."
    )
    event_id: UUID
    type: str = Field(examples=["billing.invoice.issued.v1"])
    time: datetime
    actor: str = Field(description="Who caused it: a user's `sub`, or `system:<service>`.")
    summary: str = Field(examples=["Invoice F2026-000123 issued: 1,200.00 EUR, due 2026-12-02"])
    trace_id: str | None = Field(description="The trace of the request that caused it, if any.")
    customer_id: UUID | None = Field(
        description="The customer it is about: on a customer's timeline or stream, that "
        "customer (a journal entry on their account included); None for the books' own events."
    )

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryRead:
        return cls(
            position=entry.seq,
            event_id=entry.event_id,
            type=entry.event_type,
            time=entry.occurred_at,
            actor=entry.actor,
            summary=entry.summary,
            trace_id=entry.trace_id,
            customer_id=entry.customer_id,
        )


class TimelinePage(ResponseModel):
    items: list[TimelineEntryRead]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[TimelineEntry]) -> TimelinePage:
        return cls(
            items=[TimelineEntryRead.of(e) for e in page.items], next_cursor=page.next_cursor
        )


class AddressRead(ResponseModel):
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str


class ProfileRead(ResponseModel):
    account_number: str | None
    kind: str | None
    display_name: str | None = Field(description="A pseudonym once the customer is erased.")
    email: str | None
    phone: str | None
    country: str | None
    vat_number: str | None
    siren: str | None
    payment_terms_days: int | None
    address: AddressRead | None


class BalanceRead(ResponseModel):
    balance: Money = Field(description="What the customer owes; negative: a credit they hold.")
    invoiced: Money
    credited: Money
    paid: Money
    refunded: Money
    written_off: Money


class InvoiceRead(ResponseModel):
    invoice_id: UUID
    number: str | None
    issue_date: date | None
    due_date: date | None
    currency: str
    gross: Money
    paid: Money
    credited: Money
    outstanding: Money
    disputed: bool

    @classmethod
    def of(cls, invoice: InvoiceView) -> InvoiceRead:
        return cls.model_validate(invoice)


class DisputeRead(ResponseModel):
    dispute_id: UUID
    invoice_id: UUID
    status: str = Field(examples=["open", "resolved"])
    outcome: str | None


class PromiseRead(ResponseModel):
    promise_id: UUID
    amount: Money
    promised_on: date
    status: str = Field(examples=["standing", "kept", "broken"])
    paid: Money | None


class PlanRead(ResponseModel):
    plan_id: UUID
    status: str = Field(examples=["agreed", "breached", "completed"])
    installments: int | None
    total: Money | None
    first_due_date: date | None
    last_due_date: date | None


class CollectionsRead(ResponseModel):
    level: int | None = Field(description="The level of the latest dunning notice.")
    level_name: str | None
    level_on: date | None
    level_amount_due: Money | None
    doubtful: Money
    insolvency_kind: str | None
    insolvency_opened_on: date | None
    disputes: list[DisputeRead]
    promises: list[PromiseRead]
    plans: list[PlanRead]

    @classmethod
    def of(cls, found: dict[str, Any]) -> CollectionsRead:
        summary = found["summary"] or {}
        return cls(
            level=summary.get("level"),
            level_name=summary.get("level_name"),
            level_on=summary.get("level_on"),
            level_amount_due=summary.get("level_amount_due"),
            doubtful=summary.get("doubtful") or Decimal("0.00"),
            insolvency_kind=summary.get("insolvency_kind"),
            insolvency_opened_on=summary.get("insolvency_opened_on"),
            disputes=[
                DisputeRead(
                    dispute_id=d["dispute_id"],
                    invoice_id=d["invoice_id"],
                    status="open" if d["resolved_at"] is None else "resolved",
                    outcome=d["outcome"],
                )
                for d in found["disputes"]
            ],
            promises=[PromiseRead.model_validate(p) for p in found["promises"]],
            plans=[PlanRead.model_validate(p) for p in found["plans"]],
        )


class RequestRead(ResponseModel):
    request_id: UUID
    category: str | None
    subject: str | None = Field(description="Removed once the customer is erased.")
    status: str
    opened_at: datetime | None
    due_at: datetime | None


class Customer360Read(ResponseModel):
    customer_id: UUID
    erased: bool
    profile: ProfileRead | None = Field(
        description="None until the customer's registration is read."
    )
    balance: BalanceRead
    open_invoices: list[InvoiceRead]
    collections: CollectionsRead
    open_requests: list[RequestRead]
    timeline: TimelinePage = Field(description="The first page, newest first.")

    @classmethod
    def of(cls, found: Customer360) -> Customer360Read:
        b = found.balance
        return cls(
            customer_id=found.customer_id,
            erased=found.erased,
            profile=None if found.profile is None else ProfileRead.model_validate(found.profile),
            balance=BalanceRead(
                balance=b.balance,
                invoiced=b.invoiced,
                credited=b.credited,
                paid=b.paid,
                refunded=b.refunded,
                written_off=b.written_off,
            ),
            open_invoices=[InvoiceRead.of(i) for i in found.open_invoices],
            collections=CollectionsRead.of(found.collections),
            open_requests=[RequestRead.model_validate(r) for r in found.open_requests],
            timeline=TimelinePage.of(found.timeline),
        )


class RebuildRead(ResponseModel):
    id: UUID
    state: str = Field(examples=["requested", "running", "done", "failed"])
    requested_by: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    events: int | None = Field(description="Events in the rebuilt read model, once done.")
    error: str | None
