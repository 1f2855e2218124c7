"""Payment plans: agreed on open invoices for exactly what they owe, holding their dunning while
every instalment is met, breached at the first one missed, completed once paid."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from collections_factories import case_of, customer, day, pay, receivable, run

from coulisse.collections.domain.customers import CollectionsCustomer
from coulisse.collections.domain.engine import RunLog
from coulisse.collections.domain.plans import Installment, PaymentPlan
from coulisse.collections.domain.receivables import Receivable
from coulisse.contracts.collections import (
    PaymentPlanAgreed,
    PaymentPlanBreached,
    PaymentPlanCompleted,
)
from coulisse.platform.domain import Conflict, DomainError, InvalidInput


def installments(*parts: tuple[int, str]) -> list[Installment]:
    return [Installment(due_date=day(offset), amount=Decimal(amount)) for offset, amount in parts]


def agreed(
    owner: CollectionsCustomer, *receivables: Receivable, grace_days: int = 0
) -> PaymentPlan:
    return PaymentPlan.agree(
        customer_id=owner.customer_id,
        receivables=list(receivables),
        installments=installments((20, "400.00"), (50, "400.00"), (80, "400.00")),
        agreed_on=day(10),
        grace_days=grace_days,
    )


def test_a_plan_is_agreed_with_its_event_and_takes_its_invoices() -> None:
    owner = customer()
    first = receivable("700.00", owner=owner, number="F2026-000001")
    second = receivable("500.00", owner=owner, number="F2026-000002")
    plan = agreed(owner, first, second)
    [event] = plan.pull_events()
    assert isinstance(event, PaymentPlanAgreed)
    assert event.invoice_ids == [first.invoice_id, second.invoice_id]
    assert [(i.due_date, i.amount) for i in event.installments] == [
        (day(20), Decimal("400.00")),
        (day(50), Decimal("400.00")),
        (day(80), Decimal("400.00")),
    ]
    assert first.plan_id == second.plan_id == plan.plan_id
    assert plan.status == "active" and plan.total == Decimal("1200.00")


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ((), "installments"),
        (((20, "1200.00"), (20, "0.00")), "installments.1.amount"),
        (((20, "600.00"), (20, "600.00")), "installments.1.due_date"),
        (((30, "600.00"), (20, "600.00")), "installments.1.due_date"),
        (((5, "1200.00"),), "installments.0.due_date"),
        (((20, "600.00"), (30, "500.00")), "installments"),
    ],
)
def test_wrong_instalments_are_refused(parts: tuple[tuple[int, str], ...], field: str) -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    with pytest.raises(InvalidInput) as refused:
        PaymentPlan.agree(
            customer_id=owner.customer_id,
            receivables=[target],
            installments=installments(*parts),
            agreed_on=day(10),
        )
    assert refused.value.field == field
    assert target.plan_id is None


def test_the_invoices_of_a_plan_must_be_open_and_the_customers_own() -> None:
    owner = customer()
    settled = receivable("100.00", owner=owner)
    pay(settled, "100.00", day(1))
    unknown = Receivable(invoice_id=uuid4(), customer_id=owner.customer_id)
    planned = receivable("1200.00", owner=owner)
    agreed(owner, planned)
    cases: list[tuple[list[Receivable], type[DomainError], str]] = [
        ([], InvalidInput, "invoice_ids"),
        ([receivable()], Conflict, "invoice_ids.0"),
        ([unknown], Conflict, "invoice_ids.0"),
        ([settled], Conflict, "invoice_ids.0"),
        ([planned], Conflict, "invoice_ids.0"),
    ]
    for receivables, error, field in cases:
        with pytest.raises(error) as refused:
            PaymentPlan.agree(
                customer_id=owner.customer_id,
                receivables=receivables,
                installments=installments((20, "100.00")),
                agreed_on=day(10),
            )
        assert refused.value.field == field
    twice = receivable("50.00", owner=owner)
    with pytest.raises(InvalidInput) as refused:
        PaymentPlan.agree(
            customer_id=owner.customer_id,
            receivables=[twice, twice],
            installments=installments((20, "100.00")),
            agreed_on=day(10),
        )
    assert refused.value.field == "invoice_ids.1"


def test_instalments_met_on_time_keep_the_plan_and_its_hold() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    assert plan.settled(uuid4(), target.invoice_id, Decimal("400.00"), day(20))
    assert plan.missed_on(day(21)) is None and plan.holds(target.invoice_id, day(49))
    assert plan.review(day(49), {target.invoice_id: target}) == "active"


def test_paying_ahead_covers_the_next_instalments() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    plan.settled(uuid4(), target.invoice_id, Decimal("800.00"), day(15))
    assert plan.missed_on(day(60)) is None
    assert plan.missed_on(day(81)) is not None


def test_a_missed_instalment_breaches_the_plan_and_releases_its_invoices() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target, grace_days=3)
    plan.pull_events()
    plan.settled(uuid4(), target.invoice_id, Decimal("400.00"), day(20))
    plan.settled(uuid4(), target.invoice_id, Decimal("399.99"), day(53))
    assert plan.holds(target.invoice_id, day(53))
    assert not plan.holds(target.invoice_id, day(54))
    # Money arriving after the deadline does not save the missed instalment.
    plan.settled(uuid4(), target.invoice_id, Decimal("0.01"), day(54))
    assert plan.review(day(54), {target.invoice_id: target}) == "breached"
    [event] = plan.pull_events()
    assert isinstance(event, PaymentPlanBreached)
    assert (event.plan_id, event.missed_installment_due_date) == (plan.plan_id, day(50))
    assert plan.closed_on == day(54) and target.plan_id is None
    assert plan.review(day(90), {target.invoice_id: target}) == "breached"


def test_a_plan_paid_in_full_is_completed() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    plan.settled(uuid4(), target.invoice_id, Decimal("1200.00"), day(12))
    assert plan.review(day(12), {target.invoice_id: target}) == "completed"
    agreed_event, completed = plan.pull_events()
    assert isinstance(agreed_event, PaymentPlanAgreed) and isinstance(
        completed, PaymentPlanCompleted
    )
    assert (completed.plan_id, completed.completed_on) == (plan.plan_id, day(12))
    assert target.plan_id is None and plan.closed_on == day(12)
    assert plan.review(day(13), {target.invoice_id: target}) == "completed"
    assert plan.pull_events() == []


def test_a_payment_read_out_of_order_completes_a_plan_but_never_breaches_it() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    plan.pull_events()
    # Read after the first instalment's deadline, the day-12 payment alone does not cover it:
    # a run would breach the plan, a payment being applied does not.
    plan.settled(uuid4(), target.invoice_id, Decimal("100.00"), day(60))
    assert not plan.complete_if_paid(day(60), {target.invoice_id: target})
    assert plan.closed_on is None and plan.pull_events() == []
    plan.settled(uuid4(), target.invoice_id, Decimal("1100.00"), day(12))
    pay(target, "1200.00", day(60))
    assert plan.complete_if_paid(day(60), {target.invoice_id: target})
    assert plan.status == "completed" and target.plan_id is None


def test_a_plan_whose_invoices_were_credited_is_completed() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    target.credit_note_issued(uuid4(), Decimal("1200.00"), day(12))
    assert plan.review(day(12), {target.invoice_id: target}) == "completed"


def test_facts_count_once_and_only_for_the_plans_invoices_after_the_agreement() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    fact = uuid4()
    assert not plan.settled(fact, uuid4(), Decimal("10.00"), day(12))
    assert not plan.settled(fact, target.invoice_id, Decimal("10.00"), day(9))
    assert plan.settled(fact, target.invoice_id, Decimal("10.00"), day(12))
    assert not plan.settled(fact, target.invoice_id, Decimal("10.00"), day(12))
    assert plan.paid == Decimal("10.00")


def test_dunning_waits_during_the_plan_and_resumes_where_it_stood_after_a_breach() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    other = receivable("90.00", owner=owner, number="F2026-000002")
    log = RunLog()
    run(day(7), case_of(owner, target), log=log)  # level 1 reached
    plan = agreed(owner, target)
    for offset in range(10, 21):
        result = run(day(offset), case_of(owner, target, other, plans=[plan]), log=log)
        assert all(line.invoice_id != target.invoice_id for n in result.notices for line in n.lines)
    assert [(h.level, h.reason) for h in result.held] == [(2, "payment_plan")]
    assert plan.review(day(21), {target.invoice_id: target}) == "breached"
    resumed = run(day(21), case_of(owner, target, other, plans=[plan]), log=log)
    assert [(n.level, n.invoice_ids) for n in resumed.notices] == [(2, [target.invoice_id])]


def test_the_plan_holds_only_from_its_agreement() -> None:
    owner = customer()
    target = receivable("1200.00", owner=owner)
    plan = agreed(owner, target)
    assert not plan.holds(target.invoice_id, day(9))
    assert not plan.holds(uuid4(), day(12))
    assert plan.deadline(plan.installments[0]) == day(20)
