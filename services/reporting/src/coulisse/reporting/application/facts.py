"""What each consumed event adds to the reports' read models (next to the timeline and the
360° view): account numbers, dated money movements, journal entries, suspense, refunds and
out-of-band writes. Run by `reactions.record`, once per event."""

from __future__ import annotations

from coulisse.contracts import accounting, billing, collections, customer
from coulisse.platform.envelope import IncomingEvent

from ..adapters.facts import Entry, FactsStore, Movement
from ..domain import out_of_band
from ..domain.books import Line


def movements(payload: object) -> list[Movement]:
    """What an event changes in what the customer owes, line by line."""
    match payload:
        case billing.InvoiceIssued():
            kind = "fee_invoice" if payload.kind == "fee" else "invoice"
            return [
                Movement(
                    kind,
                    payload.customer_id,
                    payload.invoice_id,
                    payload.issue_date,
                    payload.total_gross,
                    payload.number,
                )
            ]
        case billing.CreditNoteIssued():
            return [
                Movement(
                    "credit_note",
                    payload.customer_id,
                    payload.invoice_id,
                    payload.issue_date,
                    -payload.total_gross,
                    payload.number,
                )
            ]
        case billing.PaymentReceived():
            found = [
                Movement(
                    "payment",
                    payload.customer_id,
                    allocation.invoice_id,
                    payload.received_on,
                    -allocation.amount,
                    payload.external_ref,
                )
                for allocation in payload.allocations
            ]
            if payload.unallocated > 0:
                found.append(
                    Movement(
                        "payment",
                        payload.customer_id,
                        None,
                        payload.received_on,
                        -payload.unallocated,
                        payload.external_ref,
                    )
                )
            return found
        case billing.RefundIssued():
            return [
                Movement(
                    "refund",
                    payload.customer_id,
                    None,
                    payload.issued_on,
                    payload.amount,
                    str(payload.refund_id),
                )
            ]
        case collections.ReceivableWrittenOff():
            return [
                Movement(
                    "write_off",
                    payload.customer_id,
                    payload.invoice_id,
                    payload.written_off_on,
                    -payload.amount_gross,
                    payload.invoice_number,
                )
            ]
        case _:
            return []


ACCOUNT_CARRIERS = (
    customer.CustomerRegistered,
    customer.CustomerRegisteredV2,
    customer.CustomerUpdatedV2,
    customer.CustomerErased,
    billing.InvoiceIssued,
    billing.CreditNoteIssued,
    billing.PaymentReceived,
    billing.RefundIssued,
    collections.ReceivableClassifiedDoubtful,
    collections.ReceivableWrittenOff,
)
"""Events naming both the customer and their account number (the books' auxiliary account)."""


async def record_facts(event: IncomingEvent, facts: FactsStore) -> None:
    envelope, payload = event.envelope, event.payload
    service = out_of_band.service_of(event.type)
    if service is not None:
        write = out_of_band.read(envelope.data)
        await facts.out_of_band_write(event.id, service, write, envelope.time)
        return
    if isinstance(payload, ACCOUNT_CARRIERS):
        await facts.account(payload.account_number, payload.customer_id)
    await facts.movements(event.id, event.type, envelope.time, movements(payload))
    match payload:
        case billing.RefundIssued():
            await facts.refund(
                payload.refund_id,
                payload.customer_id,
                request_id=payload.request_id,
                amount=payload.amount,
                issued_on=payload.issued_on,
                issued_at=envelope.time,
            )
        case accounting.EntryPosted():
            entry = Entry(
                entry_id=payload.entry_id,
                journal_code=payload.journal_code,
                entry_number=payload.entry_number,
                entry_date=payload.entry_date,
                source_event_id=payload.source_event_id,
                source_event_type=payload.source_event_type,
                manual=payload.manual,
                lines=[
                    Line(line.account, line.auxiliary_account, line.label, line.debit, line.credit)
                    for line in payload.lines
                ],
            )
            await facts.entry(
                entry, event_id=event.id, posted_at=envelope.time, actor=envelope.actor
            )
            await facts.link_entry(payload.entry_id)
        case accounting.EventSuspended():
            await facts.suspended(
                payload.source_event_id, payload.source_event_type, payload.error, envelope.time
            )
        case _:
            pass
