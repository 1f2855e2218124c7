"""Every event type through the real broker into PostgreSQL: its entry, once, whatever the redeliveries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import gateway_samples as samples
import pytest
from gateway_harness import Gateway, running_gateway

from coulisse.contracts.base import EventPayload
from coulisse.contracts.collections import (
    DisputeOpened,
    DisputeResolved,
    DunningNoticeSent,
    FeeAssessed,
    InsolvencyRecorded,
    Installment,
    PaymentPlanAgreed,
    PaymentPlanBreached,
    PaymentPlanCompleted,
    PromiseBroken,
    PromiseKept,
    PromiseRecorded,
)
from coulisse.contracts.customer import (
    CustomerErased,
    CustomerUpdated,
    RequestOpened,
    RequestStatusChanged,
)
from coulisse.contracts.topics import ACCOUNTING_EVENTS
from coulisse.platform import testing
from coulisse.platform.envelope import OutgoingEvent

pytestmark = pytest.mark.integration

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
D = Decimal


def by_source(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["source_event_id"]: e for e in entries}


def lines_of(entry: dict[str, Any]) -> list[tuple[str, str | None, str, str]]:
    return [
        (line["account"], line["auxiliary_account"], line["debit"], line["credit"])
        for line in entry["lines"]
    ]


async def all_entries(gateway: Gateway, **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {**filters, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = await gateway.get("/v1/journal-entries", **params)
        found.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return found


async def test_each_event_type_is_posted_once_and_redelivery_adds_nothing(
    make_database: Any, kafka_bootstrap: str
) -> None:
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        await each_event_type_is_posted_once(gateway)


async def test_long_texts_from_events_are_booked_whole(
    make_database: Any, kafka_bootstrap: str
) -> None:
    # The contracts bound no text: numbers, references and actors are booked as they came.
    customer, aux = uuid4(), "C000043"
    number = "F2026-" + "7" * 400
    invoice = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=date(2026, 9, 4),
        lines=[(D("10.00"), D("20.0"), None)],
        number=number,
    )
    paid = samples.payment(
        customer_id=customer,
        account_number=aux,
        received_on=date(2026, 9, 5),
        allocations=[(invoice, D("12.00"))],
        external_ref="VIR-" + "8" * 300,
    )
    actor = "agent:" + "x" * 300
    async with running_gateway(make_database, kafka_bootstrap) as gateway:
        await samples.publish(
            gateway.bootstrap, [samples.envelope(e, actor=actor) for e in (invoice, paid)]
        )
        await gateway.caught_up()
        entries = {e["journal_code"]: e for e in await all_entries(gateway)}
        sale, bank = entries["VT"], entries["BQ"]
        assert (sale["piece_ref"], sale["label"], sale["actor"]) == (
            number,
            f"Facture {number} {aux}",
            actor,
        )
        assert sale["lines"][2]["label"] == f"TVA 20.0 % facture {number}"
        assert bank["piece_ref"] == paid.external_ref
        assert bank["label"] == f"Règlement transfer {paid.external_ref} {aux}"
        assert (bank["lines"][1]["label"], bank["lines"][1]["letter"]) == (
            f"Règlement {number}",
            "AA",
        )
        assert await gateway.get("/v1/suspense") == {"items": [], "next_cursor": None}


async def each_event_type_is_posted_once(gateway: Gateway) -> None:
    customer = uuid4()
    aux = "C000042"
    day = date(2026, 9, 3)
    registered = samples.customer_registered(aux, "Menuiserie Lefèvre SARL", customer)
    invoice = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=day,
        lines=[(D("100.00"), D("20.0"), None), (D("50.00"), D("5.5"), "7063")],
        number="F2026-000101",
    )
    fee = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=date(2026, 9, 10),
        lines=[(D("40.00"), D("0.0"), None)],
        number="F2026-000102",
        kind="fee",
    )
    credit = samples.credit_note(
        invoice, issue_date=date(2026, 9, 12), lines=[(D("10.00"), D("20.0"), None)]
    )
    paid = samples.payment(
        customer_id=customer,
        account_number=aux,
        received_on=date(2026, 9, 20),
        allocations=[(invoice, invoice.total_gross - credit.total_gross)],
        unallocated=D("15.00"),
        external_ref="VIR-0001",
    )
    refund = samples.refund(
        customer_id=customer, account_number=aux, amount=D("15.00"), issued_on=date(2026, 9, 25)
    )
    doubtful = samples.classified_doubtful(
        [fee], amount_gross=fee.total_gross, classified_on=date(2026, 10, 1)
    )
    off = samples.written_off(
        fee,
        amount_net=fee.total_net,
        amount_vat=D("0.00"),
        written_off_on=date(2026, 10, 15),
        was_doubtful=True,
    )
    # Two more invoices written off from 411: one definitively irrecoverable (the VAT is
    # recovered), one a small balance given up (the gross amount is the loss, no VAT line).
    lost_invoice = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=date(2026, 10, 2),
        lines=[(D("200.00"), D("20.0"), None)],
        number="F2026-000103",
    )
    small_invoice = samples.invoice(
        customer_id=customer,
        account_number=aux,
        issue_date=date(2026, 10, 2),
        lines=[(D("25.00"), D("20.0"), None)],
        number="F2026-000104",
    )
    off_with_vat = samples.written_off(
        lost_invoice,
        amount_net=D("200.00"),
        amount_vat=D("40.00"),
        written_off_on=date(2026, 10, 20),
        was_doubtful=False,
        vat_recovered=True,
        reason="debtor_gone",
    )
    off_without_vat = samples.written_off(
        small_invoice,
        amount_net=D("25.00"),
        amount_vat=D("5.00"),
        written_off_on=date(2026, 10, 20),
        was_doubtful=False,
        vat_recovered=False,
        reason="small_balance",
    )
    posting = [
        invoice,
        fee,
        credit,
        paid,
        refund,
        doubtful,
        off,
        lost_invoice,
        small_invoice,
        off_with_vat,
        off_without_vat,
    ]
    silent: list[EventPayload] = [
        registered,
        CustomerUpdated(
            customer_id=customer, changed=["display_name"], display_name="Lefèvre & Fils"
        ),
        RequestOpened.model_validate(
            {
                "request_id": uuid4(),
                "customer_id": customer,
                "category": "refund",
                "subject": "Trop-perçu",
                "opened_at": "2026-09-21T10:00:00Z",
                "due_at": "2026-09-23T10:00:00Z",
            }
        ),
        RequestStatusChanged(
            request_id=uuid4(),
            customer_id=customer,
            status="resolved",
            changed_at="2026-09-25T10:00:00Z",
        ),
        DunningNoticeSent(
            notice_id=uuid4(),
            customer_id=customer,
            level=1,
            level_name="Relance amiable",
            invoice_ids=[fee.invoice_id],
            amount_due=D("40.00"),
            sent_on=date(2026, 9, 15),
            channel="email",
        ),
        FeeAssessed(
            fee_id=uuid4(),
            customer_id=customer,
            invoice_id=invoice.invoice_id,
            kind="recovery_indemnity",
            amount=D("40.00"),
            assessed_on=date(2026, 9, 10),
        ),
        PromiseRecorded(
            promise_id=uuid4(),
            customer_id=customer,
            amount=D("40.00"),
            promised_on=date(2026, 9, 30),
        ),
        PaymentPlanAgreed(
            plan_id=uuid4(),
            customer_id=customer,
            invoice_ids=[fee.invoice_id],
            installments=[Installment(due_date=date(2026, 10, 5), amount=D("40.00"))],
        ),
        PaymentPlanBreached(
            plan_id=uuid4(), customer_id=customer, missed_installment_due_date=date(2026, 10, 5)
        ),
        PromiseKept(
            promise_id=uuid4(),
            customer_id=customer,
            amount=D("40.00"),
            promised_on=date(2026, 9, 30),
            paid=D("40.00"),
        ),
        PromiseBroken(
            promise_id=uuid4(),
            customer_id=customer,
            amount=D("40.00"),
            promised_on=date(2026, 9, 30),
            paid=D("0.00"),
        ),
        PaymentPlanCompleted(plan_id=uuid4(), customer_id=customer, completed_on=date(2026, 11, 5)),
        InsolvencyRecorded(customer_id=customer, kind="liquidation", opened_on=date(2026, 9, 28)),
        DisputeOpened(
            dispute_id=uuid4(), customer_id=customer, invoice_id=fee.invoice_id, reason="x"
        ),
        DisputeResolved(
            dispute_id=uuid4(), customer_id=customer, invoice_id=fee.invoice_id, outcome="rejected"
        ),
        CustomerErased(customer_id=customer, account_number=aux),
    ]
    envelopes: list[OutgoingEvent] = [
        samples.envelope(e, traceparent=TRACEPARENT, actor="web-shop") for e in [*silent, *posting]
    ]
    await samples.publish(gateway.bootstrap, envelopes)

    async def all_applied() -> bool:
        return await gateway.applied() == len(envelopes)

    await testing.eventually(all_applied, what="every envelope applied by the inbox")
    entries = await all_entries(gateway)
    assert len(entries) == len(posting)
    posted = by_source(entries)
    assert set(posted) == {str(e.event_id) for e in envelopes[len(silent) :]}
    (
        sale,
        fee_sale,
        credited,
        bank,
        refunded,
        moved,
        lost,
        lost_sale,
        small_sale,
        lost_with_vat,
        lost_without_vat,
    ) = (posted[str(e.event_id)] for e in envelopes[len(silent) :])
    assert sale["journal_code"] == "VT" and sale["entry_number"] == "VT-2026-000001"
    assert sale["entry_date"] == "2026-09-03" and sale["trace_id"] == TRACEPARENT[3:35]
    assert sale["actor"] == "web-shop" and sale["source_event_type"] == "billing.invoice.issued.v1"
    assert lines_of(sale) == [
        ("411", aux, "172.75", "0.00"),
        ("706", None, "0.00", "100.00"),
        ("7063", None, "0.00", "50.00"),
        ("44571", None, "0.00", "2.75"),
        ("44571", None, "0.00", "20.00"),
    ]
    assert lines_of(fee_sale) == [
        ("411", aux, "40.00", "0.00"),
        ("7631", None, "0.00", "40.00"),
    ]
    assert fee_sale["entry_number"] == "VT-2026-000002"
    assert credited["entry_number"] == "VT-2026-000003"
    assert lines_of(credited) == [
        ("706", None, "10.00", "0.00"),
        ("44571", None, "2.00", "0.00"),
        ("411", aux, "0.00", "12.00"),
    ]
    assert bank["journal_code"] == "BQ" and bank["piece_ref"] == "VIR-0001"
    assert lines_of(bank) == [
        ("512", None, "175.75", "0.00"),
        ("411", aux, "0.00", "160.75"),
        ("411", aux, "0.00", "15.00"),
    ]
    assert bank["entry_number"] == "BQ-2026-000001"
    assert lines_of(refunded) == [
        ("411", aux, "15.00", "0.00"),
        ("512", None, "0.00", "15.00"),
    ]
    assert moved["journal_code"] == "OD" and lines_of(moved) == [
        ("416", aux, "40.00", "0.00"),
        ("411", aux, "0.00", "40.00"),
    ]
    assert lost["entry_number"] == "OD-2026-000002"
    assert lines_of(lost) == [
        ("654", None, "40.00", "0.00"),
        ("416", aux, "0.00", "40.00"),
    ]
    assert (lost_sale["entry_number"], small_sale["entry_number"]) == (
        "VT-2026-000004",
        "VT-2026-000005",
    )
    # Definitively irrecoverable: the net is the loss and the VAT collected is recovered.
    assert lost_with_vat["entry_number"] == "OD-2026-000003"
    assert (lost_with_vat["entry_date"], lost_with_vat["piece_ref"], lost_with_vat["label"]) == (
        "2026-10-20",
        "F2026-000103",
        f"Créance irrécouvrable F2026-000103 {aux}",
    )
    assert lines_of(lost_with_vat) == [
        ("654", None, "200.00", "0.00"),
        ("44571", None, "40.00", "0.00"),
        ("411", aux, "0.00", "240.00"),
    ]
    # A small balance given up: the gross amount is the loss, and no VAT is recovered.
    assert lost_without_vat["entry_number"] == "OD-2026-000004"
    assert (lost_without_vat["piece_ref"], lost_without_vat["label"]) == (
        "F2026-000104",
        f"Perte sur créance F2026-000104 {aux} sans récupération de TVA",
    )
    assert lines_of(lost_without_vat) == [
        ("654", None, "30.00", "0.00"),
        ("411", aux, "0.00", "30.00"),
    ]
    losses = await gateway.get("/v1/accounts/654/ledger")
    assert (losses["totals"]["debit"], losses["balance"]) == ("270.00", "270.00")

    # Lettering: the invoice is settled by its credit note and the allocation; the fee invoice by
    # its doubtful classification (411), and the classification by the write-off (416).
    ledger = await gateway.get("/v1/accounts/411/ledger", auxiliary=aux)
    letters = {(line["piece_ref"], line["credit"], line["letter"]) for line in ledger["lines"]}
    assert ("F2026-000101", "0.00", "AA") in letters
    assert (credit.number, "12.00", "AA") in letters
    assert ("VIR-0001", "160.75", "AA") in letters
    assert ("VIR-0001", "15.00", None) in letters
    assert ("F2026-000102", "0.00", "AB") in letters
    # Each written-off invoice is lettered with its write-off, whichever way the VAT went.
    for number in ("F2026-000103", "F2026-000104"):
        pair = {line["letter"] for line in ledger["lines"] if line["piece_ref"] == number}
        assert len(pair) == 1 and None not in pair, (number, pair)
    assert ledger["balance"] == "0.00"
    doubtful_ledger = await gateway.get("/v1/accounts/416/ledger", auxiliary=aux)
    assert {line["letter"] for line in doubtful_ledger["lines"]} == {"AA"}
    subledger = await gateway.get("/v1/accounts/41/ledger", auxiliary=aux)
    assert subledger["balance"] == "0.00"  # everything invoiced was paid, credited or written off

    trial = await gateway.get("/v1/trial-balance", as_of="2026-12-31")
    assert trial["totals"]["debit"] == trial["totals"]["credit"]
    assert await gateway.get("/v1/suspense") == {"items": [], "next_cursor": None}

    # Every entry is published on accounting.events, keyed by its journal.
    entry_ids = {e["id"] for e in entries}
    records = await testing.read_topic(
        gateway.bootstrap,
        ACCOUNTING_EVENTS,
        keep=lambda r: testing.event_json(r)["data"].get("entry_id") in entry_ids,
        until=lambda found: len(found) >= len(entry_ids),
    )
    assert {testing.event_json(r)["data"]["entry_id"] for r in records} == entry_ids
    assert all(r.key.decode() == testing.event_json(r)["data"]["journal_code"] for r in records)

    # The same events again (a relay republishing after a crash): nothing new.
    await samples.publish(gateway.bootstrap, envelopes)
    await gateway.caught_up()
    assert len(await all_entries(gateway)) == len(posting)
    assert await gateway.applied() == len(envelopes)

    # The auxiliary account keeps its (updated) label after erasure.
    [(label, erased)] = await gateway.sql(
        __import__("sqlalchemy")
        .text(
            "SELECT label, erased_at IS NOT NULL FROM auxiliary_accounts WHERE account_number = :a"
        )
        .bindparams(a=aux)
    )
    assert (label, erased) == ("Lefèvre & Fils", True)
