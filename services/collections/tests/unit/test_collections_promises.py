"""Promises to pay: recorded, kept when the money arrives, broken after the promised date plus
grace; dunning waits while one stands and resumes at the next level when it is broken."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from collections_factories import case_of, customer, day, receivable, run

from coulisse.collections.domain.engine import RunLog
from coulisse.collections.domain.promises import PromiseToPay
from coulisse.contracts.collections import PromiseBroken, PromiseKept, PromiseRecorded
from coulisse.platform.domain import InvalidInput


def promise(
    amount: str = "500.00",
    *,
    promised_on: date = day(20),
    grace_days: int = 3,
    request_id: UUID | None = None,
) -> PromiseToPay:
    return PromiseToPay.new(
        customer_id=uuid4(),
        amount=Decimal(amount),
        promised_on=promised_on,
        recorded_on=day(10),
        grace_days=grace_days,
        request_id=request_id,
    )


def test_a_promise_is_recorded_with_its_event() -> None:
    request_id = uuid4()
    made = promise(request_id=request_id)
    [event] = made.pull_events()
    assert isinstance(event, PromiseRecorded)
    assert (event.promise_id, event.customer_id) == (made.promise_id, made.customer_id)
    assert (event.amount, event.promised_on, event.request_id) == (
        Decimal("500.00"),
        day(20),
        request_id,
    )
    assert made.status == "pending" and made.deadline == day(23)


@pytest.mark.parametrize(
    ("amount", "promised_on", "grace", "field"),
    [
        ("0.00", day(20), 3, "amount"),
        ("-5.00", day(20), 3, "amount"),
        ("10.001", day(20), 3, "amount"),
        ("100.00", day(9), 3, "promised_on"),
        ("100.00", day(20), -1, "grace_days"),
        ("100.00", day(20), 31, "grace_days"),
    ],
)
def test_a_wrong_promise_is_refused(amount: str, promised_on: date, grace: int, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        promise(amount, promised_on=promised_on, grace_days=grace)
    assert refused.value.field == field


def test_a_promise_is_kept_as_soon_as_the_payments_reach_its_amount() -> None:
    made = promise("500.00")
    assert made.payment_received(uuid4(), Decimal("200.00"), day(12))
    assert made.status == "pending"
    paid = uuid4()
    assert made.payment_received(paid, Decimal("300.00"), day(22))  # within the grace period
    assert (made.status, made.closed_on, made.paid) == ("kept", day(22), Decimal("500.00"))
    assert not made.payment_received(uuid4(), Decimal("1.00"), day(22))
    assert made.review(day(40)) == "kept"


def test_a_promise_kept_or_broken_records_its_outcome() -> None:
    kept = promise("500.00")
    kept.pull_events()
    kept.payment_received(uuid4(), Decimal("500.00"), day(21))
    [event] = kept.pull_events()
    assert isinstance(event, PromiseKept)
    assert (event.promise_id, event.amount, event.promised_on, event.paid) == (
        kept.promise_id,
        Decimal("500.00"),
        day(20),
        Decimal("500.00"),
    )
    broken = promise("500.00")
    broken.pull_events()
    broken.payment_received(uuid4(), Decimal("120.00"), day(11))
    broken.review(day(24))
    broken.review(day(30))  # broken once
    [event] = broken.pull_events()
    assert isinstance(event, PromiseBroken) and event.paid == Decimal("120.00")


def test_payments_outside_the_promise_or_counted_before_do_not_count() -> None:
    made = promise("500.00")
    paid = uuid4()
    assert not made.payment_received(uuid4(), Decimal("500.00"), day(9))
    assert not made.payment_received(uuid4(), Decimal("500.00"), day(24))
    assert made.payment_received(paid, Decimal("100.00"), day(11))
    assert not made.payment_received(paid, Decimal("100.00"), day(11))
    assert made.paid == Decimal("100.00")


def test_a_promise_is_broken_the_day_after_its_deadline() -> None:
    made = promise("500.00")
    made.payment_received(uuid4(), Decimal("499.99"), day(15))
    assert made.review(day(23)) == "pending"
    assert made.review(day(24)) == "broken" and made.closed_on == day(24)
    assert not made.holds_on(day(15))


def test_a_promise_holds_from_its_recording_to_its_deadline() -> None:
    made = promise(grace_days=0)
    assert not made.holds_on(day(9))
    assert made.holds_on(day(10)) and made.holds_on(day(20))
    assert not made.holds_on(day(21))  # even before anyone reviews it


def test_dunning_waits_for_a_promise_and_resumes_at_the_next_level_when_it_is_broken() -> None:
    owner = customer()
    target = receivable(owner=owner)
    made = PromiseToPay.new(
        customer_id=owner.customer_id,
        amount=Decimal("1200.00"),
        promised_on=day(20),
        recorded_on=day(8),
    )
    log = RunLog()
    assert [n.level for n in run(day(7), case_of(owner, target), log=log).notices] == [1]
    for offset in range(8, 24):
        result = run(day(offset), case_of(owner, target, promises=[made]), log=log)
        assert result.notices == []
    assert [(h.level, h.reason) for h in result.held] == [(2, "promise_to_pay")]
    assert made.review(day(24)) == "broken"
    resumed = run(day(24), case_of(owner, target, promises=[made]), log=log)
    assert [n.level for n in resumed.notices] == [2]


def test_a_kept_promise_no_longer_holds() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    other = receivable("300.00", owner=owner, number="F2026-000002")
    made = PromiseToPay.new(
        customer_id=owner.customer_id,
        amount=Decimal("1200.00"),
        promised_on=day(20),
        recorded_on=day(8),
    )
    payment_id = uuid4()
    target.payment_allocated(payment_id, Decimal("1200.00"), day(12))
    made.payment_received(payment_id, Decimal("1200.00"), day(12))
    result = run(day(12), case_of(owner, target, other, promises=[made]))
    assert [line.invoice_number for n in result.notices for line in n.lines] == ["F2026-000002"]


def test_a_promise_only_holds_overdue_invoices() -> None:
    owner = customer()
    target = receivable(owner=owner)
    made = PromiseToPay.new(
        customer_id=owner.customer_id,
        amount=Decimal("100.00"),
        promised_on=day(20),
        recorded_on=day(-10),
    )
    # The reminder before the due date is not about a late payment: it still goes out.
    assert [n.level for n in run(day(-3), case_of(owner, target, promises=[made])).notices] == [1]
