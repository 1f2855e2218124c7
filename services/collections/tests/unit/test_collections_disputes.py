"""Disputes: an open dispute holds dunning and interest on its invoice; once resolved, dunning
resumes at the next level and the disputed days bear no interest."""

from __future__ import annotations

from decimal import Decimal
from uuid import uuid4

import pytest
from collections_factories import case_of, customer, day, pay, receivable, run

from coulisse.collections.domain.calendar import DayRange
from coulisse.collections.domain.charges import InterestRate, InterestRateTable
from coulisse.collections.domain.disputes import Dispute
from coulisse.collections.domain.engine import RunLog
from coulisse.collections.domain.receivables import Receivable
from coulisse.contracts.collections import DisputeOpened, DisputeResolved
from coulisse.platform.domain import Conflict, InvalidInput

TEN_PERCENT = InterestRateTable([InterestRate(day(-400), Decimal("10"), "contract")])


def test_a_dispute_is_opened_with_its_event() -> None:
    target = receivable()
    dispute = Dispute.open(target, reason="  Delivery incomplete ", opened_on=day(5))
    [event] = dispute.pull_events()
    assert isinstance(event, DisputeOpened)
    assert (event.dispute_id, event.customer_id, event.invoice_id, event.reason) == (
        dispute.dispute_id,
        target.customer_id,
        target.invoice_id,
        "Delivery incomplete",
    )
    assert target.disputed and dispute.status == "open"


def test_a_settled_invoice_cannot_be_disputed() -> None:
    target = receivable("100.00")
    pay(target, "100.00", day(1))
    with pytest.raises(Conflict) as refused:
        Dispute.open(target, reason="Wrong price", opened_on=day(5))
    assert refused.value.field == "invoice_id" and not target.disputed


def test_a_dispute_needs_a_reason_a_known_invoice_and_no_other_open_dispute() -> None:
    target = receivable()
    with pytest.raises(InvalidInput) as refused:
        Dispute.open(target, reason=" ", opened_on=day(5))
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput):
        Dispute.open(target, reason="x" * 2001, opened_on=day(5))
    unknown = Receivable(invoice_id=uuid4(), customer_id=uuid4())
    with pytest.raises(Conflict) as conflict:
        Dispute.open(unknown, reason="Wrong price", opened_on=day(5))
    assert conflict.value.field == "invoice_id"
    Dispute.open(target, reason="Wrong price", opened_on=day(5))
    with pytest.raises(Conflict, match="already under dispute"):
        Dispute.open(target, reason="Wrong quantity", opened_on=day(6))


def test_a_dispute_is_resolved_once() -> None:
    target = receivable()
    dispute = Dispute.open(target, reason="Wrong price", opened_on=day(5))
    dispute.pull_events()
    with pytest.raises(InvalidInput) as refused:
        dispute.resolve(target, outcome="rejected", resolved_on=day(4))
    assert refused.value.field == "resolved_on"
    with pytest.raises(InvalidInput) as refused:
        dispute.resolve(target, outcome="maybe", resolved_on=day(9))  # type: ignore[arg-type]
    assert refused.value.field == "outcome"
    with pytest.raises(Conflict):
        dispute.resolve(receivable(), outcome="rejected", resolved_on=day(9))
    dispute.resolve(target, outcome="upheld", resolved_on=day(9))
    [event] = dispute.pull_events()
    assert isinstance(event, DisputeResolved) and event.outcome == "upheld"
    assert not target.disputed and target.dispute_periods == [DayRange(day(5), day(8))]
    with pytest.raises(Conflict, match="already resolved"):
        dispute.resolve(target, outcome="rejected", resolved_on=day(10))


def test_a_new_dispute_may_follow_a_resolved_one() -> None:
    target = receivable()
    Dispute.open(target, reason="Wrong price", opened_on=day(5)).resolve(
        target, outcome="rejected", resolved_on=day(5)
    )
    assert target.dispute_periods == []  # resolved the day it was opened: no day held
    Dispute.open(target, reason="Wrong quantity", opened_on=day(6))
    assert target.disputed


def test_dunning_waits_for_the_dispute_and_resumes_at_the_next_level() -> None:
    owner = customer()
    target = receivable("1000.00", owner=owner)
    log = RunLog()
    run(day(-3), case_of(owner, target), log=log)
    run(day(7), case_of(owner, target), log=log)
    dispute = Dispute.open(target, reason="Wrong price", opened_on=day(8))
    for offset in range(8, 40):
        result = run(day(offset), case_of(owner, target), log=log, rates=TEN_PERCENT)
        assert result.notices == [] and result.charges == []
    assert [(h.level, h.reason) for h in result.held] == [(3, "dispute")]
    dispute.resolve(target, outcome="rejected", resolved_on=day(40))
    resumed = run(day(40), case_of(owner, target), log=log, rates=TEN_PERCENT)
    assert [n.level for n in resumed.notices] == [3]
    formal = run(day(47), case_of(owner, target), log=log, rates=TEN_PERCENT)
    assert [n.level for n in formal.notices] == [4]
    interest = next(c for c in formal.charges if c.kind == "late_interest").interest
    # 47 late days, less the 32 days under dispute (day 8 to day 39).
    assert interest is not None and interest.days == 15
    assert interest.amount == Decimal("4.11")  # 1 000.00 × 10 % × 15 / 365 = 4.109…
