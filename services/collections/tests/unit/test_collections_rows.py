"""Rows and back: what the repositories store reads back as the same domain objects (JSON columns
hold dates as ISO strings and amounts as decimal strings, never floats)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from collections_factories import DEFAULT_RATES, DUE, customer, day, pay, receivable

from coulisse.collections.adapters import rows
from coulisse.collections.domain.charges import late_interest
from coulisse.collections.domain.plans import Installment, PaymentPlan
from coulisse.collections.domain.policy import DEFAULT_POLICY, DunningExclusion
from coulisse.collections.domain.promises import PromiseToPay

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


def through_json(values: dict[str, Any]) -> dict[str, Any]:
    """As a JSON column gives it back."""
    loaded: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return {
        key: loaded[key] if isinstance(values[key], list | dict) else values[key] for key in values
    }


def test_a_receivable_reads_back_with_its_facts_and_disputes() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner, vat="200.00")
    pay(target, "200.00", day(5))
    target.reach_level(1, day(-3))
    row = {"invoice_id": target.invoice_id, **rows.receivable_values(target, NOW)}
    facts = [rows.fact_values(target.invoice_id, i, f) for i, f in target.facts.items()]
    open_id, closed_id = uuid4(), uuid4()
    disputes = [
        {"id": open_id, "status": "open", "opened_on": day(20), "resolved_on": None},
        {"id": closed_id, "status": "resolved", "opened_on": day(2), "resolved_on": day(6)},
    ]
    back = rows.receivable_from_row(row, facts, disputes)
    assert back.invoice == target.invoice and back.facts == target.facts
    assert (back.paid, back.amount_due, back.level, back.level_reached_on) == (
        Decimal("200.00"),
        Decimal("1000.00"),
        1,
        day(-3),
    )
    assert back.open_disputes == {open_id: day(20)}
    assert [(p.first, p.last) for p in back.dispute_periods] == [(day(2), day(5))]


def test_a_customer_reads_back_with_its_policy_and_exclusion() -> None:
    owner = customer()
    owner.arrange_dunning(
        policy=DEFAULT_POLICY, exclusion=DunningExclusion(reason="Accord", until=DUE)
    )
    row = {"id": owner.customer_id, **through_json(rows.customer_values(owner, NOW))}
    back = rows.customer_from_row(row)
    assert (back.policy, back.exclusion, back.kind) == (owner.policy, owner.exclusion, "company")


def test_a_plan_and_a_promise_read_back_with_what_they_counted() -> None:
    owner = customer()
    target = receivable("900.00", owner=owner)
    plan = PaymentPlan.agree(
        customer_id=owner.customer_id,
        receivables=[target],
        installments=[
            Installment(day(20), Decimal("450.00")),
            Installment(day(50), Decimal("450.00")),
        ],
        agreed_on=day(10),
    )
    plan.settled(uuid4(), target.invoice_id, Decimal("450.00"), day(19))
    back = rows.plan_from_row({"id": plan.plan_id, **through_json(rows.plan_values(plan))})
    assert (back.installments, back.received, back.paid) == (
        plan.installments,
        plan.received,
        Decimal("450.00"),
    )
    promise = PromiseToPay.new(
        customer_id=owner.customer_id,
        amount=Decimal("100.00"),
        promised_on=day(20),
        recorded_on=day(10),
    )
    promise.payment_received(uuid4(), Decimal("40.00"), day(12))
    read = rows.promise_from_row(
        {"id": promise.promise_id, **through_json(rows.promise_values(promise))}
    )
    assert (read.counted_payments, read.paid, read.status) == (
        promise.counted_payments,
        Decimal("40.00"),
        "pending",
    )


def test_late_interest_reads_back_with_its_periods_and_rates() -> None:
    interest = late_interest(
        Decimal("1000.00"), due_date=day(0), assessed_on=day(30), rates=DEFAULT_RATES
    )
    stored = json.loads(json.dumps(rows.interest_json(interest)))
    back = rows.interest_from_json(stored, interest.amount)
    assert back == interest
