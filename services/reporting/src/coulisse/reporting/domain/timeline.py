"""What the timeline says of an event: one line in the domain's words, and who it is about.

Lines never quote personal data (names, e-mails, addresses): the timeline outlives an erasure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from coulisse.contracts import accounting, billing, collections, customer
from coulisse.contracts.base import EventPayload

from . import out_of_band


@dataclass(frozen=True)
class TimelineEntry:
    """One event as the read model keeps it; `seq` orders every entry of the read model."""

    seq: int
    event_id: UUID
    event_type: str
    occurred_at: datetime
    customer_id: UUID | None
    subject: str
    actor: str
    summary: str
    trace_id: str | None


def money(amount: Decimal, currency: str = "EUR") -> str:
    return f"{amount:,.2f} {currency}"


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), if well formed."""
    if not traceparent:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4 or len(parts[1]) != 32:
        return None
    try:
        int(parts[1], 16)
    except ValueError:
        return None
    return None if set(parts[1]) == {"0"} else parts[1]


def customer_of(payload: EventPayload | None) -> UUID | None:
    """The customer an event is about; None for the books' own events (journals, periods)."""
    found = getattr(payload, "customer_id", None)
    return found if isinstance(found, UUID) else None


def _fields(names: list[str]) -> str:
    return ", ".join(names)


def summary(
    event_type: str, payload: EventPayload | None, data: Mapping[str, Any] | None = None
) -> str:
    """One line saying what happened, in the words of the service that published it; `data`,
    the event's data as received, for the types read by name (out-of-band writes)."""
    service = out_of_band.service_of(event_type)
    if service is not None:
        return out_of_band.describe(out_of_band.read(data or {}), service)
    match payload:
        case customer.CustomerRegistered() | customer.CustomerRegisteredV2():
            return (
                f"Customer {payload.account_number} registered ({payload.kind}, "
                f"payment terms {payload.payment_terms_days} days)"
            )
        case customer.CustomerUpdated() | customer.CustomerUpdatedV2():
            return f"Customer details changed: {_fields(payload.changed)}"
        case customer.CustomerErased():
            return f"Customer {payload.account_number} erased (right to be forgotten)"
        case customer.RequestOpened():
            return f"Request opened ({payload.category.replace('_', ' ')})"
        case customer.RequestStatusChanged():
            return f"Request now {payload.status.replace('_', ' ')}"
        case billing.InvoiceIssued():
            return (
                f"Invoice {payload.number} issued: {money(payload.total_gross, payload.currency)}"
                f", due {payload.due_date.isoformat()}"
            )
        case billing.CreditNoteIssued():
            return (
                f"Credit note {payload.number} on invoice {payload.invoice_number}: "
                f"{money(payload.total_gross)}"
            )
        case billing.PaymentReceived():
            line = f"Payment received by {payload.method.replace('_', ' ')}: {money(payload.amount, payload.currency)}"
            if payload.allocations:
                numbers = ", ".join(a.invoice_number for a in payload.allocations)
                line += f" on {numbers}"
            if payload.unallocated > 0:
                line += f" ({money(payload.unallocated)} kept as credit)"
            return line
        case billing.RefundIssued():
            return (
                f"Refund issued by {payload.method.replace('_', ' ')}: {money(payload.amount, payload.currency)} "
                f"({payload.reason.replace('_', ' ')})"
            )
        case collections.DunningNoticeSent():
            return (
                f"Dunning level {payload.level} ({payload.level_name}) sent by "
                f"{payload.channel}: {money(payload.amount_due)} due"
            )
        case collections.FeeAssessed():
            return (
                f"Late-payment charge ({payload.kind.replace('_', ' ')}): {money(payload.amount)}"
            )
        case collections.FeeWaived():
            return f"Late-payment charge waived ({payload.kind.replace('_', ' ')})"
        case collections.PromiseRecorded():
            return f"Promise to pay {money(payload.amount)} by {payload.promised_on.isoformat()}"
        case collections.PromiseKept():
            return f"Promise kept: {money(payload.paid)} paid of {money(payload.amount)}"
        case collections.PromiseBroken():
            return f"Promise broken: {money(payload.paid)} paid of {money(payload.amount)}"
        case collections.PaymentPlanAgreed():
            total = sum((i.amount for i in payload.installments), Decimal("0.00"))
            return f"Payment plan agreed: {len(payload.installments)} instalments, {money(total)}"
        case collections.PaymentPlanBreached():
            return (
                "Payment plan breached: instalment due "
                f"{payload.missed_installment_due_date.isoformat()} missed"
            )
        case collections.PaymentPlanCompleted():
            return "Payment plan completed"
        case collections.DisputeOpened():
            return "Invoice disputed"
        case collections.DisputeResolved():
            return f"Dispute resolved: {payload.outcome.replace('_', ' ')}"
        case collections.ReceivableClassifiedDoubtful():
            return f"Receivables classified doubtful: {money(payload.amount_gross)}"
        case collections.ReceivableWrittenOff():
            return f"Invoice {payload.invoice_number} written off: {money(payload.amount_gross)}"
        case collections.InsolvencyRecorded():
            return f"Insolvency proceedings recorded ({payload.kind.replace('_', ' ')})"
        case accounting.EntryPosted():
            return f"Entry {payload.entry_number} posted in journal {payload.journal_code}"
        case accounting.EventSuspended():
            return f"Event {payload.source_event_type} suspended by the books"
        case accounting.PeriodClosed():
            return f"Period {payload.period} closed ({payload.entry_count} entries)"
        case _:
            return f"{event_type} (not known to this version)"
