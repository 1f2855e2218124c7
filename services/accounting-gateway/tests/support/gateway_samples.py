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

from aiokafka import AIOKafkaConsumer, TopicPartition

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
from coulisse.contracts.collections import ReceivableClassifiedDoubtful, ReceivableWrittenOff
from coulisse.contracts.customer import CustomerRegistered
from coulisse.contracts.money import round_money
from coulisse.platform.envelope import CONTENT_TYPE, OutgoingEvent, build_envelope
from coulisse.platform.kafka import encode_headers, idempotent_producer

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


def envelope(
    payload: EventPayload,
    *,
    actor: str = "test-agent",
    traceparent: str | None = None,
    event_id: UUID | None = None,
) -> OutgoingEvent:
    """The CloudEvent the producing service would publish (its outbox's row)."""
    return build_envelope(
        payload,
        service=payload.TYPE.split(".")[0],
        actor=actor,
        correlation_id=None,
        traceparent=traceparent,
        event_id=event_id,
    )


async def publish(bootstrap: str, events: Sequence[OutgoingEvent]) -> None:
    """Produces events as the producing services' relays do (idempotent producer, acks=all)."""
    producer = idempotent_producer(bootstrap, client_id="coulisse-samples")
    await producer.start()
    try:
        for event in events:
            headers = {"content-type": CONTENT_TYPE}
            if event.traceparent:
                headers["traceparent"] = event.traceparent
            await producer.send(
                event.topic,
                event.value,
                key=event.key.encode(),
                headers=encode_headers(headers),
            )
        await producer.flush()
    finally:
        await producer.stop()


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes) -> None:
    """A record no well-behaved producer would write: for poison-event tests."""
    producer = idempotent_producer(bootstrap, client_id="coulisse-samples")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def _group_partitions(
    bootstrap: str, group: str, topics: Sequence[str]
) -> tuple[AIOKafkaConsumer, list[TopicPartition]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    # A consumer that subscribes to nothing knows no partitions until it asks the cluster.
    cluster = await consumer._client.fetch_all_metadata()
    partitions = [
        TopicPartition(topic, p)
        for topic in topics
        for p in sorted(cluster.partitions_for_topic(topic) or ())
    ]
    return consumer, partitions


async def start_group_at_end(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """A new consumer group that will read only what is produced from now on."""
    consumer, partitions = await _group_partitions(bootstrap, group, topics)
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str, topics: Sequence[str]) -> int:
    """Records produced on the topics that the group has not committed yet."""
    consumer, partitions = await _group_partitions(bootstrap, group, topics)
    try:
        ends = await consumer.end_offsets(partitions)
        behind = 0
        for partition in partitions:
            committed = await consumer.committed(partition)
            behind += ends[partition] - (committed or 0)
        return behind
    finally:
        await consumer.stop()
