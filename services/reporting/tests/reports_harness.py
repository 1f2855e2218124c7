"""Events for the reports' tests, as their services publish them: billing's and collections'
documents at chosen times, and the gateway's entries for them as its default rules write them."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from reporting_harness import READER, Reporting, account_of, running_reporting

from coulisse.contracts.accounting import EntryLine, EntryPosted
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    CreditNoteIssued,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    RefundIssued,
    VatSubtotal,
)
from coulisse.contracts.collections import ReceivableWrittenOff
from coulisse.platform import testing
from coulisse.platform.envelope import OutgoingEvent, build_envelope
from coulisse.reporting.entrypoints.consumers import TOPICS

ZERO = Decimal("0.00")
_numbers = itertools.count(1)
_entries = itertools.count(1)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def at(payload: EventPayload, when: datetime, *, actor: str = "agent-7") -> OutgoingEvent:
    """The event its service would publish, at `when`."""
    return build_envelope(
        payload,
        service=payload.TYPE.split(".")[0],
        actor=actor,
        correlation_id=None,
        traceparent=None,
        time=when,
    )


def _lines(gross: Decimal) -> dict[str, Any]:
    return {
        "lines": [
            DocumentLine(
                description="Maintenance",
                quantity=Decimal(1),
                unit_price=gross,
                vat_rate=Decimal("0.0"),
                net=gross,
                vat=ZERO,
            )
        ],
        "vat_breakdown": [VatSubtotal(vat_rate=Decimal("0.0"), net=gross, vat=ZERO)],
        "total_net": gross,
        "total_vat": ZERO,
        "total_gross": gross,
    }


def invoice(customer_id: UUID, gross: str, issued: date, due: date) -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=uuid4(),
        number=f"F2026-{next(_numbers):06d}",
        kind="standard",
        customer_id=customer_id,
        account_number=account_of(customer_id),
        issue_date=issued,
        due_date=due,
        **_lines(Decimal(gross)),
    )


def credit_note(issued: InvoiceIssued, gross: str, on: date) -> CreditNoteIssued:
    return CreditNoteIssued(
        credit_note_id=uuid4(),
        number=f"A2026-{next(_numbers):06d}",
        invoice_id=issued.invoice_id,
        invoice_number=issued.number,
        customer_id=issued.customer_id,
        account_number=issued.account_number,
        issue_date=on,
        reason="wrong quantity",
        **_lines(Decimal(gross)),
    )


def payment(
    customer_id: UUID, on: date, *allocations: tuple[InvoiceIssued, str], unallocated: str = "0"
) -> PaymentReceived:
    allocated = [
        Allocation(invoice_id=i.invoice_id, invoice_number=i.number, amount=Decimal(a))
        for i, a in allocations
    ]
    extra = Decimal(unallocated)
    return PaymentReceived(
        payment_id=uuid4(),
        customer_id=customer_id,
        account_number=account_of(customer_id),
        amount=sum((a.amount for a in allocated), extra),
        method="transfer",
        received_on=on,
        external_ref=f"VIR-{uuid4().hex[:8]}",
        allocations=allocated,
        unallocated=extra,
    )


def refund(
    customer_id: UUID, amount: str, on: date, request_id: UUID | None = None
) -> RefundIssued:
    return RefundIssued(
        refund_id=uuid4(),
        customer_id=customer_id,
        account_number=account_of(customer_id),
        amount=Decimal(amount),
        method="transfer",
        issued_on=on,
        reason="overpayment",
        request_id=request_id,
    )


def line(account: str, debit: str = "0", credit: str = "0", aux: str | None = None) -> EntryLine:
    return EntryLine(
        account=account,
        auxiliary_account=aux,
        label=f"{account} {aux or ''}".strip(),
        debit=Decimal(debit),
        credit=Decimal(credit),
    )


def entry(
    journal: str, on: date, lines: Sequence[EntryLine], *, source: OutgoingEvent | None = None
) -> EntryPosted:
    return EntryPosted(
        entry_id=uuid4(),
        journal_code=journal,
        entry_number=f"{journal}-2026-{next(_entries):06d}",
        entry_date=on,
        source_event_id=None if source is None else source.event_id,
        source_event_type=None if source is None else source.event_type,
        lines=list(lines),
        manual=source is None,
    )


def reversal(original: EntryPosted, on: date) -> EntryPosted:
    """The gateway's reversal: the same lines, sides swapped, flagged manual."""
    mirrored = [
        line.model_copy(update={"debit": line.credit, "credit": line.debit})
        for line in original.lines
    ]
    return entry(original.journal_code, on, mirrored)


def journaled(event: OutgoingEvent, payload: EventPayload) -> EntryPosted:
    """The entry the gateway's default rules post for a billing event."""
    match payload:
        case InvoiceIssued():
            gross = str(payload.total_gross)
            lines = [
                line("411", debit=gross, aux=payload.account_number),
                line("706", credit=gross),
            ]
            return entry("VT", payload.issue_date, lines, source=event)
        case CreditNoteIssued():
            gross = str(payload.total_gross)
            lines = [
                line("706", debit=gross),
                line("411", credit=gross, aux=payload.account_number),
            ]
            return entry("VT", payload.issue_date, lines, source=event)
        case PaymentReceived():
            credits = [
                line("411", credit=str(a.amount), aux=payload.account_number)
                for a in payload.allocations
            ]
            if payload.unallocated > 0:
                credits.append(
                    line("411", credit=str(payload.unallocated), aux=payload.account_number)
                )
            lines = [line("512", debit=str(payload.amount)), *credits]
            return entry("BQ", payload.received_on, lines, source=event)
        case RefundIssued():
            amount = str(payload.amount)
            lines = [
                line("411", debit=amount, aux=payload.account_number),
                line("512", credit=amount),
            ]
            return entry("BQ", payload.issued_on, lines, source=event)
        case ReceivableWrittenOff():
            gross = str(payload.amount_gross)
            lines = [
                line("654", debit=gross),
                line("411", credit=gross, aux=payload.account_number),
            ]
            return entry("OD", payload.written_off_on, lines, source=event)
    raise AssertionError(f"no rule for {payload.TYPE}")


@dataclass
class Live:
    """Reporting with its Kafka consumer running under a group of its own."""

    reporting: Reporting
    group: str

    async def publish(self, events: Sequence[OutgoingEvent]) -> None:
        """Publishes the events and waits until the consumer has read them all."""
        bootstrap = self.reporting.kafka_bootstrap
        await testing.publish(bootstrap, events)

        async def read() -> bool:
            return await testing.lag(bootstrap, self.group, TOPICS) == 0

        await testing.eventually(read, what="reporting reading the events", interval=0.3)

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.reporting.client.get(path, params=params, headers=READER)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@asynccontextmanager
async def live_reporting(database_url: str, kafka_bootstrap: str) -> AsyncIterator[Live]:
    """Reporting reading the topics from their end: what the test publishes, nothing older."""
    group = f"reporting-reports-{uuid4().hex[:8]}"
    await testing.start_group_at_end(kafka_bootstrap, group, TOPICS)
    async with running_reporting(
        database_url,
        kafka_bootstrap=kafka_bootstrap,
        roles="api,consumers",
        env={"COULISSE_CONSUMER_GROUP": group},
    ) as reporting:
        yield Live(reporting, group)
