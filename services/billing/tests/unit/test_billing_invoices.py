"""Invoices: issued once, immutable, settled by payments, credit notes and write-offs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from billing_factories import ISSUED_ON, NOW, customer, issued_invoice, line

from coulisse.billing.domain.credit_notes import CreditNote, check_credit_date
from coulisse.billing.domain.invoices import Invoice
from coulisse.billing.domain.numbering import check_chronology, document_number
from coulisse.contracts.billing import CreditNoteIssued, InvoiceIssued
from coulisse.platform.domain import Conflict, InvalidInput


def test_numbers_are_padded_per_series_and_year() -> None:
    assert document_number("F", 2026, 123) == "F2026-000123"
    assert document_number("A", 2026, 7) == "A2026-000007"


def test_no_document_is_dated_before_the_last_of_its_series() -> None:
    check_chronology("F", None, date(2026, 1, 1))
    check_chronology("F", date(2026, 5, 1), date(2026, 5, 1))
    with pytest.raises(Conflict) as refused:
        check_chronology("F", date(2026, 5, 2), date(2026, 5, 1))
    assert refused.value.field == "issue_date"


def test_issuing_records_the_event_with_exact_totals() -> None:
    owner = customer()
    invoice = Invoice.draft(
        now=NOW,
        customer_id=owner.id,
        account_number="C000042",
        lines=[line("2", "49.99", "20"), line("3", "4.10", "5.5", revenue_account="707100")],
        currency="EUR",
    )
    assert invoice.status == "draft" and invoice.amount_due == 0
    assert invoice.pull_events() == []
    invoice.issue(now=NOW, number="F2026-000001", issue_date=ISSUED_ON, due_date=date(2026, 10, 31))
    [event] = invoice.pull_events()
    assert isinstance(event, InvoiceIssued)
    assert event.number == "F2026-000001" and event.kind == "standard"
    assert (event.total_net, event.total_vat, event.total_gross) == (
        Decimal("112.28"),
        Decimal("20.68"),
        Decimal("132.96"),
    )
    assert [format(r.vat_rate, "f") for r in event.vat_breakdown] == ["20.0", "5.5"]
    assert event.lines[1].revenue_account == "707100"
    assert (str(invoice.status), invoice.amount_due) == ("issued", Decimal("132.96"))


def test_an_issued_invoice_cannot_be_issued_again() -> None:
    invoice = issued_invoice()
    with pytest.raises(Conflict):
        invoice.issue(now=NOW, number="F2026-000002", issue_date=ISSUED_ON, due_date=ISSUED_ON)
    assert invoice.number == "F2026-000001"


def test_the_due_date_cannot_precede_the_issue_date() -> None:
    draft = Invoice.draft(
        now=NOW, customer_id=customer().id, account_number="C1", lines=[line()], currency="EUR"
    )
    with pytest.raises(InvalidInput) as refused:
        draft.issue(
            now=NOW, number="F2026-000009", issue_date=ISSUED_ON, due_date=date(2026, 9, 30)
        )
    assert refused.value.field == "due_date"
    assert draft.status == "draft"


def test_an_invoice_without_lines_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Invoice.draft(
            now=NOW, customer_id=customer().id, account_number="C1", lines=[], currency="EUR"
        )
    assert refused.value.field == "lines"


def test_status_follows_payments() -> None:
    invoice = issued_invoice(line("1", "100.00", "20"))
    invoice.allocate(Decimal("20.00"), field="amount")
    assert (invoice.status, invoice.amount_due) == ("partially_paid", Decimal("100.00"))
    with pytest.raises(Conflict):
        invoice.allocate(Decimal("100.01"), field="amount")
    invoice.allocate(Decimal("100.00"), field="amount")
    assert (invoice.status, invoice.amount_due) == ("paid", Decimal("0.00"))
    with pytest.raises(Conflict):
        invoice.allocate(Decimal("0.01"), field="amount")


def test_a_draft_can_be_neither_paid_nor_credited() -> None:
    draft = Invoice.draft(
        now=NOW, customer_id=customer().id, account_number="C1", lines=[line()], currency="EUR"
    )
    with pytest.raises(Conflict):
        draft.allocate(Decimal("1.00"), field="amount")
    with pytest.raises(Conflict):
        draft.credit([line()])


def test_a_credit_note_never_exceeds_what_remains_per_rate_and_in_total() -> None:
    invoice = issued_invoice(line("2", "50.00", "20"), line("1", "10.00", "5.5"))
    with pytest.raises(Conflict) as refused:
        invoice.credit([line("1", "10.01", "5.5")])
    assert refused.value.field == "lines"
    with pytest.raises(Conflict):
        invoice.credit([line("1", "1.00", "10")])  # no line at 10 % on this invoice
    assert invoice.credit([line("1", "50.00", "20")]) == 0
    assert (invoice.status, invoice.amount_due) == ("issued", Decimal("70.55"))
    with pytest.raises(Conflict):
        invoice.credit([line("1", "50.01", "20")])
    assert invoice.credit([line("1", "50.00", "20"), line("1", "10.00", "5.5")]) == 0
    assert (invoice.status, invoice.amount_due) == ("credited", Decimal("0.00"))
    with pytest.raises(Conflict):
        invoice.credit([line("1", "0.01", "20")])


def test_a_full_credit_after_a_partial_one_leaves_exactly_zero() -> None:
    # Two lines of 0.10 at 5.5 %: 0.01 VAT each. Crediting 0.10 credits 0.01 VAT; the rest is
    # one balancing line per rate with exactly what remains.
    invoice = issued_invoice(line("1", "0.10", "5.5"), line("1", "0.10", "5.5"), line("3", "9.99"))
    invoice.credit([line("1", "0.10", "5.5")])
    remainder = invoice.remaining_lines()
    assert [(r.vat_rate, r.net, r.vat) for r in remainder] == [
        (Decimal("20.0"), Decimal("29.97"), Decimal("5.99")),
        (Decimal("5.5"), Decimal("0.10"), Decimal("0.01")),
    ]
    invoice.credit(remainder)
    assert invoice.status == "credited" and invoice.creditable_gross == 0


def test_crediting_a_paid_invoice_turns_the_excess_into_customer_credit() -> None:
    invoice = issued_invoice(line("1", "100.00", "20"))
    invoice.allocate(Decimal("120.00"), field="amount")
    excess = invoice.credit([line("1", "50.00", "20")])
    assert excess == Decimal("60.00")
    assert (invoice.status, invoice.amount_due) == ("paid", Decimal("0.00"))
    half_paid = issued_invoice(line("1", "100.00", "20"))
    half_paid.allocate(Decimal("60.00"), field="amount")
    assert half_paid.credit(half_paid.remaining_lines()) == Decimal("60.00")
    assert (half_paid.status, half_paid.amount_due) == ("credited", Decimal("0.00"))


def test_the_credit_note_records_its_own_event() -> None:
    invoice = issued_invoice(line("1", "100.00", "20"))
    lines = [line("1", "25.00", "20", description="Remise")]
    excess = invoice.credit(lines)
    note = CreditNote.issue(
        invoice,
        now=NOW,
        number="A2026-000001",
        issue_date=date(2026, 10, 5),
        reason="Remise commerciale",
        lines=lines,
        to_customer_credit=excess,
    )
    [event] = note.pull_events()
    assert isinstance(event, CreditNoteIssued)
    assert (event.invoice_number, event.total_gross) == ("F2026-000001", Decimal("30.00"))
    assert event.account_number == "C000042"
    with pytest.raises(InvalidInput) as refused:
        check_credit_date(invoice, date(2026, 9, 30))
    assert refused.value.field == "issue_date"


def test_write_off_ends_what_is_due_and_excess_becomes_credit() -> None:
    invoice = issued_invoice(line("1", "100.00", "20"))
    invoice.allocate(Decimal("20.00"), field="amount")
    assert invoice.write_off(Decimal("100.00"), date(2026, 11, 1)) == 0
    assert (invoice.status, invoice.amount_due) == ("written_off", Decimal("0.00"))
    with pytest.raises(Conflict):
        invoice.write_off(Decimal("100.00"), date(2026, 11, 1))
    with pytest.raises(Conflict):
        invoice.credit([line("1", "1.00", "20")])
    stale = issued_invoice(line("1", "100.00", "20"))
    stale.allocate(Decimal("20.00"), field="amount")
    assert stale.write_off(Decimal("120.00"), date(2026, 11, 1)) == Decimal("20.00")
