"""The customer as collections sees it: insolvency proceedings and doubtful receivables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast
from uuid import uuid4

import pytest
from collections_factories import customer, day, pay, receivable

from coulisse.collections.domain.customers import ERASED_TEXT, CollectionsCustomer
from coulisse.collections.domain.policy import (
    DEFAULT_POLICY,
    DunningExclusion,
    DunningLevel,
    DunningPolicy,
)
from coulisse.contracts.collections import InsolvencyRecorded, ReceivableClassifiedDoubtful
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
    recorded, event = owner.pull_events()
    assert isinstance(recorded, InsolvencyRecorded)
    assert (recorded.customer_id, recorded.kind, recorded.opened_on) == (
        owner.customer_id,
        "safeguard",
        day(10),
    )
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
    # Nothing overdue: nothing to classify, only the proceedings are recorded.
    assert [type(e) for e in owner.pull_events()] == [InsolvencyRecorded]
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


def test_an_invoice_names_the_account_before_the_registration_is_read() -> None:
    early = CollectionsCustomer(customer_id=uuid4())
    early.account_known("C000042")
    early.account_known("C999999")  # the first one named stays until the registration says
    assert (early.account_number, early.kind) == ("C000042", None)
    early.registered(kind="person", account_number="C000042", payment_terms_days=45)
    assert (early.kind, early.payment_terms_days) == ("person", 45)


def test_erasure_keeps_the_account_and_drops_the_words() -> None:
    owner = customer()
    owner.arrange_dunning(
        policy=None, exclusion=DunningExclusion(reason="Mme Martin is in hospital", until=day(30))
    )
    owner.erase(account_number="C000042")
    assert owner.erased and owner.account_number == "C000042"
    assert owner.exclusion == DunningExclusion(reason=ERASED_TEXT, until=day(30))
