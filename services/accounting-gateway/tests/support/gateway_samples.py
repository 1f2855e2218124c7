"""Business events as the producing services publish them, for the tests.

Builders return the typed payloads; `envelope` wraps one as its producer's outbox would, and
`publish` produces envelopes to Kafka the way a relay does.

Amounts are computed as billing computes them (VAT rounded half-up per line, breakdown per rate),
so the events are internally consistent unless a caller says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.contracts.billing import (
    Allocation,
    CreditNoteIssued,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    RefundIssued,
    VatSubtotal,
)
from coulisse.contracts.collections import ReceivableClassifiedDoubtful, ReceivableWrittenOff
from coulisse.contracts.customer import CustomerRegistered
from coulisse.contracts.money import round_money
from coulisse.platform import testing
from coulisse.platform.kafka import idempotent_producer

SampleLine = tuple[Decimal, Decimal, str | None]
"""(net, VAT rate in percent, revenue account or None)."""


def customer_registered(
    account_number: str, display_name: str, customer_id: UUID | None = None
) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id or uuid4(),
        account_number=account_number,
        kind="company",
        display_name=display_name,
        email="compta@example.fr",
        country="FR",
        payment_terms_days=30,
    )


def _document_lines(lines: Sequence[SampleLine]) -> tuple[list[DocumentLine], list[VatSubtotal]]:
    documents: list[DocumentLine] = []
    by_rate: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for i, (net, rate, account) in enumerate(lines):
        vat = round_money(net * rate / 100)
        documents.append(
            DocumentLine(
                description=f"Ligne {i + 1}",
                quantity=Decimal("1"),
                unit_price=net,
                vat_rate=rate,
                net=net,
                vat=vat,
                revenue_account=account,
            )
        )
        total_net, total_vat = by_rate.get(rate, (Decimal(0), Decimal(0)))
        by_rate[rate] = (total_net + net, total_vat + vat)
    breakdown = [
        VatSubtotal(vat_rate=rate, net=net, vat=vat) for rate, (net, vat) in sorted(by_rate.items())
    ]
    return documents, breakdown


def invoice(
    *,
    customer_id: UUID,
    account_number: str,
    issue_date: date,
    lines: Sequence[SampleLine],
    number: str = "F2026-000001",
    kind: str = "standard",
    invoice_id: UUID | None = None,
) -> InvoiceIssued:
    documents, breakdown = _document_lines(lines)
    total_net = sum((d.net for d in documents), Decimal(0))
    total_vat = sum((d.vat for d in documents), Decimal(0))
    return InvoiceIssued.model_validate(
        {
            "invoice_id": invoice_id or uuid4(),
            "number": number,
            "kind": kind,
            "customer_id": customer_id,
            "account_number": account_number,
            "issue_date": issue_date,
            "due_date": issue_date,
            "currency": "EUR",
            "lines": documents,
            "vat_breakdown": breakdown,
            "total_net": total_net,
            "total_vat": total_vat,
            "total_gross": total_net + total_vat,
        }
    )


def credit_note(
    original: InvoiceIssued,
    *,
    issue_date: date,
    lines: Sequence[SampleLine] | None = None,
    number: str = "A2026-000001",
) -> CreditNoteIssued:
    """A credit note of the given lines, or of the whole invoice."""
    if lines is None:
        lines = [(line.net, line.vat_rate, line.revenue_account) for line in original.lines]
    documents, breakdown = _document_lines(lines)
    total_net = sum((d.net for d in documents), Decimal(0))
    total_vat = sum((d.vat for d in documents), Decimal(0))
    return CreditNoteIssued(
        credit_note_id=uuid4(),
        number=number,
        invoice_id=original.invoice_id,
        invoice_number=original.number,
        customer_id=original.customer_id,
        account_number=original.account_number,
        issue_date=issue_date,
        reason="geste commercial",
        lines=documents,
        vat_breakdown=breakdown,
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_net + total_vat,
    )


def payment(
    *,
    customer_id: UUID,
    account_number: str,
    received_on: date,
    allocations: Sequence[tuple[InvoiceIssued, Decimal]] = (),
    unallocated: Decimal = Decimal("0.00"),
    external_ref: str | None = None,
) -> PaymentReceived:
    allocated = sum((amount for _, amount in allocations), Decimal(0))
    return PaymentReceived(
        payment_id=uuid4(),
        customer_id=customer_id,
        account_number=account_number,
        amount=allocated + unallocated,
        currency="EUR",
        method="transfer",
        received_on=received_on,
        external_ref=external_ref or f"VIR-{uuid4().hex[:10].upper()}",
        allocations=[
            Allocation(invoice_id=inv.invoice_id, invoice_number=inv.number, amount=amount)
            for inv, amount in allocations
        ],
        unallocated=unallocated,
    )


def refund(
    *, customer_id: UUID, account_number: str, amount: Decimal, issued_on: date
) -> RefundIssued:
    return RefundIssued(
        refund_id=uuid4(),
        customer_id=customer_id,
        account_number=account_number,
        amount=amount,
        currency="EUR",
        method="transfer",
        issued_on=issued_on,
        reason="overpayment",
    )


def classified_doubtful(
    invoices: Sequence[InvoiceIssued], *, amount_gross: Decimal, classified_on: date
) -> ReceivableClassifiedDoubtful:
    return ReceivableClassifiedDoubtful(
        customer_id=invoices[0].customer_id,
        account_number=invoices[0].account_number,
        invoice_ids=[inv.invoice_id for inv in invoices],
        amount_gross=amount_gross,
        classified_on=classified_on,
    )


def written_off(
    original: InvoiceIssued,
    *,
    amount_net: Decimal,
    amount_vat: Decimal,
    written_off_on: date,
    was_doubtful: bool,
    vat_recovered: bool = True,
    reason: str = "liquidation judiciaire",
) -> ReceivableWrittenOff:
    return ReceivableWrittenOff(
        write_off_id=uuid4(),
        customer_id=original.customer_id,
        account_number=original.account_number,
        invoice_id=original.invoice_id,
        invoice_number=original.number,
        amount_net=amount_net,
        amount_vat=amount_vat,
        amount_gross=amount_net + amount_vat,
        written_off_on=written_off_on,
        reason=reason,
        was_doubtful=was_doubtful,
        vat_recovered=vat_recovered,
    )


envelope = testing.envelope
publish = testing.publish


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes) -> None:
    """A record no well-behaved producer would write: for poison-event tests."""
    producer = idempotent_producer(bootstrap, client_id="coulisse-samples")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


start_group_at_end = testing.start_group_at_end
lag = testing.lag
