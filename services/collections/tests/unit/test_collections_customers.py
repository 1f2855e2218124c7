"""The customer as collections sees it: insolvency proceedings and doubtful receivables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import pytest
from collections_factories import customer, day, pay, receivable

from coulisse.collections.domain.customers import CollectionsCustomer
from coulisse.collections.domain.policy import DEFAULT_POLICY, DunningLevel, DunningPolicy
from coulisse.contracts.collections import ReceivableClassifiedDoubtful
from coulisse.platform.domain import Conflict, InvalidInput


def test_insolvency_makes_the_overdue_receivables_doubtful() -> None:
    owner = customer()
    late = receivable("1200.00", owner=owner, number="F2026-000001", due=day(0))
    later = receivable("300.00", owner=owner, number="F2026-000002", due=day(2))
    not_due = receivable("500.00", owner=owner, number="F2026-000003", due=day(30))
    paid = receivable("80.00", owner=owner, number="F2026-000004", due=day(0))
    pay(paid, "80.00", day(0))
    pay(late, "200.00", day(1))
    owner.record_insolvency(
        kind="safeguard", opened_on=day(10), receivables=[later, not_due, paid, late]
    )
    assert owner.insolvent_on(day(10)) and not owner.insolvent_on(day(9))
    [event] = owner.pull_events()
    assert isinstance(event, ReceivableClassifiedDoubtful)
    assert event.invoice_ids == [late.invoice_id, later.invoice_id]
    assert (event.account_number, event.amount_gross, event.classified_on) == (
        "C000042",
        Decimal("1300.00"),
        day(10),
    )
    assert late.doubtful_on == later.doubtful_on == day(10)
    assert not_due.doubtful_on is None and paid.doubtful_on is None


def test_insolvency_is_recorded_once_and_of_a_known_kind() -> None:
    owner = customer()
    owner.record_insolvency(kind="liquidation", opened_on=day(10), receivables=[])
    assert owner.pull_events() == []  # nothing overdue: nothing to classify
    with pytest.raises(Conflict) as refused:
        owner.record_insolvency(kind="liquidation", opened_on=day(11), receivables=[])
    assert refused.value.field == "kind"
    with pytest.raises(InvalidInput):
        customer().record_insolvency(kind=cast(Any, "bankrupt"), opened_on=day(1), receivables=[])


def test_classifying_asks_for_something_to_classify_and_a_known_account() -> None:
    owner = customer()
    target = receivable(owner=owner)
    with pytest.raises(Conflict):
        owner.classify_doubtful([target], on=day(0))  # not overdue yet
    event = owner.classify_doubtful([target], on=day(1))
    assert event is not None and event.invoice_ids == [target.invoice_id]
    with pytest.raises(Conflict):
        owner.classify_doubtful([target], on=day(2))  # already doubtful
    with pytest.raises(Conflict) as refused:
        CollectionsCustomer(customer_id=owner.customer_id).classify_doubtful([target], on=day(2))
    assert refused.value.field == "customer_id"


def test_an_exclusion_and_an_own_policy() -> None:
    owner = customer("person")
    assert owner.policy_or(DEFAULT_POLICY) is DEFAULT_POLICY
    own = DunningPolicy.of([DunningLevel(days=10, channel="letter", name="Letter")])
    owner.policy = own
    assert owner.policy_or(DEFAULT_POLICY) is own
    assert not owner.excluded_on(day(0))
