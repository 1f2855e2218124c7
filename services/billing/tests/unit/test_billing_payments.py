"""Payments: explicit allocations or oldest due first; the rest becomes customer credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from billing_factories import NOW, customer, issued_invoice, line
from hypothesis import given
from hypothesis import strategies as st

from coulisse.billing.domain.customers import BillingCustomer
from coulisse.billing.domain.invoices import Invoice
from coulisse.billing.domain.payments import Payment, RequestedAllocation
from coulisse.billing.domain.refunds import Refund
from coulisse.contracts.billing import PaymentReceived, RefundIssued
from coulisse.platform.domain import Conflict, InvalidInput

RECEIVED = date(2026, 11, 2)


def pay(
    owner: BillingCustomer,
    amount: str,
    invoices: list[Invoice],
    requested: list[RequestedAllocation] | None = None,
    ref: str = "VIR-1",
) -> Payment:
    return Payment.receive(
        owner,
        now=NOW,
        amount=Decimal(amount),
        currency="EUR",
        method="transfer",
        received_on=RECEIVED,
        external_ref=ref,
        invoices={i.id: i for i in invoices},
        requested=requested,
    )


def test_oldest_due_first_then_credit() -> None:
    owner = customer()
    newer = issued_invoice(
        line("1", "100.00"), owner=owner, sequence=2, issued_on=date(2026, 10, 5)
    )
    older = issued_invoice(line("1", "50.00"), owner=owner, sequence=1, issued_on=date(2026, 10, 1))
    payment = pay(owner, "200.00", [newer, older])
    assert [(a.invoice_number, a.amount) for a in payment.allocations] == [
        ("F2026-000001", Decimal("60.00")),
        ("F2026-000002", Decimal("120.00")),
    ]
    assert payment.unallocated == Decimal("20.00") == owner.credit_available
    assert (older.status, newer.status) == ("paid", "paid")
    [event] = payment.pull_events()
    assert isinstance(event, PaymentReceived)
    assert event.unallocated == Decimal("20.00") and len(event.allocations) == 2


def test_a_partial_payment_settles_the_oldest_first() -> None:
    owner = customer()
    first = issued_invoice(line("1", "100.00"), owner=owner, sequence=1)
    second = issued_invoice(line("1", "100.00"), owner=owner, sequence=2)
    payment = pay(owner, "150.00", [second, first])
    assert [a.amount for a in payment.allocations] == [Decimal("120.00"), Decimal("30.00")]
    assert (first.status, second.status) == ("paid", "partially_paid")
    assert payment.unallocated == 0 and owner.credit_available == 0


def test_explicit_allocations_are_checked() -> None:
    owner = customer()
    invoice = issued_invoice(line("1", "100.00"), owner=owner)
    other = issued_invoice(line("1", "100.00"), owner=customer())

    def to(invoice_id: object, amount: str) -> RequestedAllocation:
        return RequestedAllocation(invoice_id, Decimal(amount))  # type: ignore[arg-type]

    cases: list[tuple[str, list[RequestedAllocation], type[Exception], str]] = [
        ("50.00", [to(other.id, "1.00")], InvalidInput, "allocations.0.invoice_id"),
        ("50.00", [to(uuid4(), "1.00")], InvalidInput, "allocations.0.invoice_id"),
        ("500.00", [to(invoice.id, "120.01")], Conflict, "allocations.0.amount"),
        ("50.00", [to(invoice.id, "0.00")], InvalidInput, "allocations.0.amount"),
        (
            "50.00",
            [to(invoice.id, "1"), to(invoice.id, "1")],
            InvalidInput,
            "allocations.1.invoice_id",
        ),
        ("50.00", [to(invoice.id, "100.00")], InvalidInput, "allocations"),
    ]
    for amount, requested, error, field in cases:
        with pytest.raises(error) as refused:
            pay(owner, amount, [invoice, other], requested)
        assert refused.value.field == field  # type: ignore[attr-defined]
    assert invoice.amount_due == Decimal("120.00") and owner.credit_available == 0
    payment = pay(owner, "50.00", [invoice], [RequestedAllocation(invoice.id, Decimal("30.00"))])
    assert payment.unallocated == Decimal("20.00")
    assert invoice.amount_due == Decimal("90.00")


def test_a_payment_from_an_unknown_customer_is_refused() -> None:
    pending = BillingCustomer(updated_at=NOW, id=uuid4())
    with pytest.raises(InvalidInput) as refused:
        pay(pending, "10.00", [])
    assert refused.value.field == "customer_id"


def test_refunds_never_exceed_the_credit() -> None:
    owner = customer(credit="20.00")
    with pytest.raises(Conflict) as refused:
        Refund.issue(
            owner,
            now=NOW,
            amount=Decimal("20.01"),
            currency="EUR",
            method="transfer",
            issued_on=RECEIVED,
            reason="overpayment",
            request_id=None,
        )
    assert refused.value.field == "amount"
    request_id = uuid4()
    refund = Refund.issue(
        owner,
        now=NOW,
        amount=Decimal("20.00"),
        currency="EUR",
        method="transfer",
        issued_on=RECEIVED,
        reason="overpayment",
        request_id=request_id,
    )
    assert owner.credit_available == 0
    [event] = refund.pull_events()
    assert isinstance(event, RefundIssued) and event.request_id == request_id


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@given(
    st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000"), places=2), max_size=8
    ),
    st.lists(amounts, min_size=1, max_size=8),
)
def test_allocations_never_exceed_what_is_due(
    prices: list[Decimal], payments: list[Decimal]
) -> None:
    owner = customer()
    invoices = [
        issued_invoice(line("1", str(price), "20"), owner=owner, sequence=n)
        for n, price in enumerate(prices, start=1)
    ]
    received = Decimal(0)
    for n, amount in enumerate(payments):
        payment = pay(owner, str(amount), [i for i in invoices if i.is_open], ref=f"R{n}")
        received += amount
        assert sum(a.amount for a in payment.allocations) + payment.unallocated == amount
        assert all(a.amount > 0 for a in payment.allocations)
        for invoice in invoices:
            assert 0 <= invoice.amount_due <= invoice.totals.gross
            assert invoice.paid <= invoice.totals.gross
    paid = sum(i.paid for i in invoices)
    assert paid + owner.credit_available == received
    # Credit only exists once every invoice is settled: oldest first leaves nothing open.
    if owner.credit_available > 0:
        assert all(i.amount_due == 0 for i in invoices)
