"""Builders of collections domain objects for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from coulisse.collections.adapters.reference_rates import shipped_reference_rates
from coulisse.collections.domain.charges import InterestRateTable
from coulisse.collections.domain.customers import CollectionsCustomer
from coulisse.collections.domain.engine import CollectionCase, DunningRun, RunLog, run_dunning
from coulisse.collections.domain.plans import PaymentPlan
from coulisse.collections.domain.policy import DEFAULT_POLICY, DunningPolicy
from coulisse.collections.domain.promises import PromiseToPay
from coulisse.collections.domain.rates import ReferenceRates
from coulisse.collections.domain.receivables import InvoiceFacts, Receivable
from coulisse.contracts.billing import InvoiceKind
from coulisse.contracts.customer import CustomerKind

DUE = date(2026, 1, 15)
"""A due date whose dunning (−3 to +30 days) stays inside rates the default table covers."""
ISSUED = DUE - timedelta(days=30)
TODAY = date(2026, 6, 30)


SHIPPED_RATES = ReferenceRates(shipped_reference_rates())
DEFAULT_RATES = SHIPPED_RATES.penalty_table()
"""The default penalty rates of the table the service ships."""


def day(offset: int, *, due: date = DUE) -> date:
    """The day `offset` days after the due date (before it when negative)."""
    return due + timedelta(days=offset)


def receivable(
    gross: str = "1200.00",
    *,
    due: date = DUE,
    owner: CollectionsCustomer | None = None,
    number: str = "F2026-000001",
    kind: InvoiceKind = "standard",
    vat: str = "0.00",
) -> Receivable:
    known = Receivable(
        invoice_id=uuid4(), customer_id=owner.customer_id if owner is not None else uuid4()
    )
    known.invoice_issued(
        InvoiceFacts(
            number=number,
            kind=kind,
            issue_date=min(ISSUED, due),
            due_date=due,
            gross=Decimal(gross),
            vat=Decimal(vat),
        )
    )
    return known


def customer(
    kind: CustomerKind | None = "company", *, customer_id: UUID | None = None
) -> CollectionsCustomer:
    found = CollectionsCustomer(customer_id=customer_id or uuid4())
    if kind is not None:
        found.registered(kind=kind, account_number="C000042")
    return found


def case_of(
    owner: CollectionsCustomer,
    *receivables: Receivable,
    promises: Sequence[PromiseToPay] = (),
    plans: Sequence[PaymentPlan] = (),
) -> CollectionCase:
    return CollectionCase(
        customer=owner, receivables=list(receivables), promises=promises, plans=plans
    )


def run(
    as_of: date,
    *cases: CollectionCase,
    log: RunLog | None = None,
    today: date = TODAY,
    dry_run: bool = False,
    policy: DunningPolicy = DEFAULT_POLICY,
    rates: InterestRateTable = DEFAULT_RATES,
) -> DunningRun:
    return run_dunning(
        as_of,
        cases,
        log=log if log is not None else RunLog(),
        today=today,
        rates=rates,
        default_policy=policy,
        dry_run=dry_run,
    )


def pay(target: Receivable, amount: str, on: date) -> UUID:
    payment_id = uuid4()
    target.payment_allocated(payment_id, Decimal(amount), on)
    return payment_id
