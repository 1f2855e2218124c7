"""What a dunning run, a dry run or the worklist looks at: every receivable still owing, the
customers they belong to, the standing promises and the active payment plans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from ..adapters.uow import CollectionsUnitOfWork
from ..domain.customers import CollectionsCustomer
from ..domain.engine import CollectionCase
from ..domain.plans import PaymentPlan
from ..domain.promises import PromiseToPay
from ..domain.receivables import Receivable


@dataclass
class Portfolio:
    customers: dict[UUID, CollectionsCustomer]
    receivables: dict[UUID, Receivable]
    promises: list[PromiseToPay]
    plans: list[PaymentPlan]
    released: set[UUID] = field(default_factory=set)
    """Receivables a closed plan let go of: to be saved."""

    def cases(self) -> list[CollectionCase]:
        """One case per customer owing something, in a stable order."""
        owing: dict[UUID, list[Receivable]] = {}
        for receivable in self.receivables.values():
            if receivable.known and not receivable.settled:
                owing.setdefault(receivable.customer_id, []).append(receivable)
        return [
            CollectionCase(
                customer=self.customers[customer_id],
                receivables=owing[customer_id],
                promises=[p for p in self.promises if p.customer_id == customer_id],
                plans=[p for p in self.plans if p.customer_id == customer_id],
            )
            for customer_id in sorted(owing)
        ]

    def review(self, as_of: date) -> tuple[list[PromiseToPay], list[PaymentPlan]]:
        """Breaks the promises and closes the plans whose day has come by `as_of`; returns those
        that changed."""
        promises = [p for p in self.promises if p.review(as_of) != "pending"]
        plans = []
        for plan in self.plans:
            if plan.review(as_of, self.receivables) != "active":
                plans.append(plan)
                self.released.update(i for i in plan.invoice_ids if i in self.receivables)
        return promises, plans


async def load_portfolio(
    uow: CollectionsUnitOfWork,
    *,
    for_update: bool,
    customer_ids: Iterable[UUID] | None = None,
) -> Portfolio:
    """Everything owing (of `customer_ids`, or of everyone), locked when `for_update`, in the
    order of every transaction: receivables, customers, promises, plans."""
    wanted = None if customer_ids is None else list(customer_ids)
    # The invoices of active plans come too, settled or not: closing a plan lets them go.
    plan_invoices = await uow.plans.active_invoice_ids(wanted)
    receivables = await uow.receivables.owing(
        customer_ids=wanted, also=plan_invoices, for_update=for_update
    )
    owners = {r.customer_id for r in receivables.values()} | set(wanted or ())
    return Portfolio(
        customers=await uow.customers.many(owners),
        receivables=receivables,
        promises=await uow.promises.pending_of(wanted, for_update=for_update),
        plans=await uow.plans.active_of(wanted, for_update=for_update),
    )
