"""Receivables rebuilt from billing's facts, whatever their order and however often they arrive."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random
from uuid import UUID, uuid4

import pytest
from collections_factories import DUE, ISSUED, day, pay, receivable
from hypothesis import given
from hypothesis import strategies as st

from coulisse.collections.domain.receivables import InvoiceFacts, Receivable, ReceivableBook
from coulisse.contracts.base import EventPayload
from coulisse.contracts.billing import (
    Allocation,
    CreditNoteIssued,
    DocumentLine,
    InvoiceIssued,
    PaymentReceived,
    RefundIssued,
)
from coulisse.contracts.collections import ReceivableWrittenOff
from coulisse.platform.domain import Conflict

CUSTOMER = uuid4()
INVOICE = uuid4()


def a_line(gross: Decimal) -> DocumentLine:
    return DocumentLine(
        description="Prestation",
        quantity=Decimal(1),
        unit_price=gross,
        vat_rate=Decimal("0.0"),
        net=gross,
        vat=Decimal("0.00"),
    )


def invoice_issued(gross: str = "1200.00", invoice_id: UUID = INVOICE) -> InvoiceIssued:
    amount = Decimal(gross)
    return InvoiceIssued(
        invoice_id=invoice_id,
        number="F2026-000001",
        kind="standard",
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=ISSUED,
        due_date=DUE,
        lines=[a_line(amount)],
        vat_breakdown=[],
        total_net=amount,
        total_vat=Decimal("0.00"),
        total_gross=amount,
    )


def payment(
    *amounts: tuple[UUID, str], on: date = DUE, payment_id: UUID | None = None
) -> PaymentReceived:
    total = sum((Decimal(a) for _, a in amounts), Decimal(0))
    return PaymentReceived(
        payment_id=payment_id or uuid4(),
        customer_id=CUSTOMER,
        account_number="C000042",
        amount=total,
        method="transfer",
        received_on=on,
        external_ref="VIR-1",
        allocations=[
            Allocation(invoice_id=i, invoice_number="F2026-000001", amount=Decimal(a))
            for i, a in amounts
        ],
        unallocated=Decimal("0.00"),
    )


def credit_note(gross: str, on: date = DUE) -> CreditNoteIssued:
    amount = Decimal(gross)
    return CreditNoteIssued(
        credit_note_id=uuid4(),
        number="A2026-000001",
        invoice_id=INVOICE,
        invoice_number="F2026-000001",
        customer_id=CUSTOMER,
        account_number="C000042",
        issue_date=on,
        reason="Geste commercial",
        lines=[a_line(amount)],
        vat_breakdown=[],
        total_net=amount,
        total_vat=Decimal("0.00"),
        total_gross=amount,
    )


def written_off(gross: str, on: date = DUE) -> ReceivableWrittenOff:
    return ReceivableWrittenOff(
        write_off_id=uuid4(),
        customer_id=CUSTOMER,
        account_number="C000042",
        invoice_id=INVOICE,
        invoice_number="F2026-000001",
        amount_net=Decimal(gross),
        amount_vat=Decimal("0.00"),
        amount_gross=Decimal(gross),
        written_off_on=on,
        reason="small_balance",
        was_doubtful=False,
    )


def refund(amount: str) -> RefundIssued:
    return RefundIssued(
        refund_id=uuid4(),
        customer_id=CUSTOMER,
        account_number="C000042",
        amount=Decimal(amount),
        method="transfer",
        issued_on=DUE,
        reason="overpayment",
    )


def owed(book: ReceivableBook) -> Decimal:
    found = book.get(INVOICE)
    assert found is not None
    return found.amount_due


def test_an_issued_invoice_is_owed_in_full() -> None:
    book = ReceivableBook()
    [changed] = book.apply(invoice_issued())
    assert changed.known and changed.invoice_number == "F2026-000001"
    assert changed.amount_due == Decimal("1200.00") and not changed.settled
    assert changed.due_date == DUE and changed.level == 0


def test_a_payment_read_before_its_invoice_counts_once_the_invoice_arrives() -> None:
    book = ReceivableBook()
    [early] = book.apply(payment((INVOICE, "200.00"), on=day(-5)))
    assert not early.known and early.amount_due == 0 and not early.settled
    book.apply(invoice_issued())
    assert book.get(INVOICE) is early
    assert early.amount_due == Decimal("1000.00") and early.paid == Decimal("200.00")


def test_a_fully_paid_invoice_known_late_is_settled_on_its_last_payment() -> None:
    book = ReceivableBook()
    book.apply(payment((INVOICE, "700.00"), on=day(2)))
    book.apply(payment((INVOICE, "500.00"), on=day(1)))
    [known] = book.apply(invoice_issued())
    assert known.settled and known.settled_on == day(2)


def test_a_redelivered_fact_changes_nothing() -> None:
    book = ReceivableBook()
    paid = payment((INVOICE, "300.00"))
    book.apply(invoice_issued())
    assert book.apply(paid)
    assert book.apply(paid) == []
    assert book.apply(invoice_issued()) == []
    assert owed(book) == Decimal("900.00")


def test_allocations_of_one_payment_to_one_invoice_count_together() -> None:
    book = ReceivableBook()
    book.apply(invoice_issued())
    book.apply(payment((INVOICE, "100.00"), (INVOICE, "50.00")))
    assert owed(book) == Decimal("1050.00")


def test_credit_notes_and_write_offs_reduce_what_is_due_never_below_zero() -> None:
    book = ReceivableBook()
    book.apply(invoice_issued())
    book.apply(payment((INVOICE, "1000.00")))
    book.apply(credit_note("150.00", on=day(3)))
    target = book.get(INVOICE)
    assert target is not None and target.amount_due == Decimal("50.00")
    book.apply(written_off("50.00", on=day(9)))
    assert target.settled and target.settled_on == day(9)
    # A credit note larger than what remains became customer credit in billing.
    book.apply(credit_note("500.00"))
    assert target.amount_due == 0


def test_a_refund_out_of_customer_credit_concerns_no_invoice() -> None:
    book = ReceivableBook()
    book.apply(invoice_issued())
    assert book.apply(refund("80.00")) == []
    assert owed(book) == Decimal("1200.00")


def test_an_invoice_cannot_change_customer_or_details() -> None:
    book = ReceivableBook()
    book.apply(invoice_issued())
    with pytest.raises(Conflict) as refused:
        book.receivable(INVOICE, uuid4())
    assert refused.value.field == "customer_id"
    with pytest.raises(Conflict):
        book.apply(invoice_issued("999.00"))


def test_the_book_lists_a_customers_receivables() -> None:
    book = ReceivableBook()
    book.apply(invoice_issued())
    book.apply(invoice_issued(invoice_id=uuid4()))
    assert len(book) == 2 and len(book.of_customer(CUSTOMER)) == 2
    assert book.of_customer(uuid4()) == []


def test_levels_are_reached_one_by_one_never_twice_never_on_the_same_day() -> None:
    target = receivable()
    target.reach_level(1, day(-3))
    with pytest.raises(Conflict, match="repeat"):
        target.reach_level(1, day(-2))
    with pytest.raises(Conflict, match="skip"):
        target.reach_level(3, day(20))
    with pytest.raises(Conflict) as refused:
        target.reach_level(2, day(-3))
    assert refused.value.field == "as_of"
    target.reach_level(2, day(7))
    assert (target.level, target.level_reached_on) == (2, day(7))


def test_charges_are_marked_once() -> None:
    target = receivable()
    target.indemnity_assessed(day(30))
    with pytest.raises(Conflict):
        target.indemnity_assessed(day(40))
    target.interest_assessed(through=day(30))
    with pytest.raises(Conflict):
        target.interest_assessed(through=day(30))
    target.interest_assessed(through=day(60))
    assert target.interest_assessed_through == day(60)


def test_a_partial_payment_changes_the_amount_not_the_level() -> None:
    target = receivable()
    target.reach_level(1, day(-3))
    target.reach_level(2, day(7))
    pay(target, "700.00", day(10))
    assert (target.level, target.amount_due) == (2, Decimal("500.00"))


def test_overdue_and_days_late() -> None:
    target = receivable()
    assert not target.overdue_on(DUE) and target.overdue_on(day(1))
    assert target.days_late(day(-3)) == 0 and target.days_late(day(12)) == 12
    unknown = Receivable(invoice_id=uuid4(), customer_id=CUSTOMER)
    assert not unknown.overdue_on(day(100)) and unknown.days_late(day(100)) == 0
    assert unknown.gross == 0 and unknown.due_date is None and not unknown.is_fee


def test_a_zero_invoice_is_settled_at_once() -> None:
    target = Receivable(invoice_id=uuid4(), customer_id=CUSTOMER)
    target.invoice_issued(
        InvoiceFacts(
            number="F2026-000009",
            kind="standard",
            issue_date=ISSUED,
            due_date=DUE,
            gross=Decimal("0.00"),
        )
    )
    assert target.settled and target.settled_on == ISSUED


# -- any order, any redelivery ------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2)
fact_kinds = st.sampled_from(["payment", "credit_note", "write_off", "refund"])


@given(
    gross=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("3000"), places=2),
    facts=st.lists(st.tuples(fact_kinds, amounts, st.integers(0, 40)), max_size=8),
    order=st.randoms(use_true_random=False),
    redelivered=st.lists(st.integers(0, 20), max_size=4),
)
def test_the_amount_due_does_not_depend_on_the_order_of_the_facts(
    gross: Decimal,
    facts: list[tuple[str, Decimal, int]],
    order: Random,
    redelivered: list[int],
) -> None:
    events: list[EventPayload] = [invoice_issued(f"{gross:.2f}")]
    reduced = Decimal(0)
    for kind, amount, offset in facts:
        on = day(offset)
        if kind == "payment":
            events.append(payment((INVOICE, f"{amount:.2f}"), on=on))
        elif kind == "credit_note":
            events.append(credit_note(f"{amount:.2f}", on=on))
        elif kind == "write_off":
            events.append(written_off(f"{amount:.2f}", on=on))
        else:
            events.append(refund(f"{amount:.2f}"))
            continue
        reduced += amount
    in_order = ReceivableBook()
    for event in events:
        in_order.apply(event)
    shuffled = list(events) + [events[i % len(events)] for i in redelivered]
    order.shuffle(shuffled)
    any_order = ReceivableBook()
    for event in shuffled:
        any_order.apply(event)
    first, second = in_order.get(INVOICE), any_order.get(INVOICE)
    assert first is not None and second is not None
    assert first.amount_due == second.amount_due == max(Decimal("0.00"), gross - reduced)
    assert first.settled == second.settled == (gross <= reduced)
    assert first.settled_on == second.settled_on
