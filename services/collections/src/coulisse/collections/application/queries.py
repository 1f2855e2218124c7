"""Read-side queries: a customer's collections, the call center's worklist, notices by page.

Nothing here changes a row: the views are computed with the domain's rules on the state as
read, for the date asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal
from uuid import UUID

import sqlalchemy as sa

from coulisse.contracts.money import ZERO
from coulisse.platform.keyset import Key, Keyset, finite_decimal
from coulisse.platform.pagination import PageParams, cursor_value, decode_cursor, encode_cursor

from ..adapters.tables import notices
from ..adapters.uow import CollectionsUnitOfWork
from ..domain.customers import CollectionsCustomer
from ..domain.delivery import NoticeDelivery
from ..domain.disputes import Dispute
from ..domain.engine import CollectionCase, HoldReason, NextLevel, Notice, next_level
from ..domain.plans import PaymentPlan
from ..domain.policy import DunningPolicy
from ..domain.promises import PromiseToPay
from ..domain.receivables import Receivable
from .handlers import default_policy, known_customer

# -- a customer's collections ------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivableView:
    receivable: Receivable
    days_late: int
    overdue: bool
    next: NextLevel | None
    """The level the invoice reaches next, and from when; None once past the last level."""
    held: HoldReason | None
    """Why dunning of it waits on the view's date, if it does."""


@dataclass(frozen=True)
class CustomerCollections:
    customer: CollectionsCustomer
    as_of: date
    policy: DunningPolicy
    own_policy: bool
    receivables: list[ReceivableView]
    promises: list[PromiseToPay]
    plans: list[PaymentPlan]
    disputes: list[Dispute]

    @property
    def amount_due(self) -> Decimal:
        return sum((v.receivable.amount_due for v in self.receivables), ZERO)

    @property
    def amount_overdue(self) -> Decimal:
        return sum((v.receivable.amount_due for v in self.receivables if v.overdue), ZERO)

    @property
    def next_action(self) -> ReceivableView | None:
        """The invoice whose next notice comes first, among those not held."""
        upcoming = [v for v in self.receivables if v.next is not None and v.held is None]
        return min(upcoming, key=_next_order, default=None)


def _next_order(view: ReceivableView) -> tuple[date, str]:
    assert view.next is not None
    return view.next.on, view.receivable.invoice_number or ""


def _views(case: CollectionCase, policy: DunningPolicy, as_of: date) -> list[ReceivableView]:
    views = []
    for receivable in case.receivables:
        if not receivable.known or receivable.settled:
            continue
        views.append(
            ReceivableView(
                receivable=receivable,
                days_late=receivable.days_late(as_of),
                overdue=receivable.overdue_on(as_of),
                next=next_level(receivable, policy),
                held=case.hold_on(receivable, as_of),
            )
        )
    return sorted(views, key=lambda v: (v.receivable.due_date, v.receivable.invoice_number))


async def customer_collections(
    uow: CollectionsUnitOfWork, customer_id: UUID, as_of: date
) -> CustomerCollections:
    customer = await known_customer(uow, customer_id, field="path.customer_id")
    default = await default_policy(uow)
    receivables = await uow.receivables.of_customers([customer_id])
    promises = [p for p in await uow.promises.of_customers([customer_id]) if p.status == "pending"]
    plans = [p for p in await uow.plans.of_customers([customer_id]) if p.status == "active"]
    case = CollectionCase(customer, list(receivables.values()), promises, plans)
    policy = customer.policy_or(default)
    return CustomerCollections(
        customer=customer,
        as_of=as_of,
        policy=policy,
        own_policy=customer.policy is not None,
        receivables=_views(case, policy, as_of),
        promises=promises,
        plans=plans,
        disputes=await uow.disputes.open_of(customer_id),
    )


# -- the worklist ------------------------------------------------------------------------------

WorkReason = Literal["dunning_call", "promise_broken", "plan_breached"]


@dataclass(frozen=True)
class WorkItem:
    """A customer to call, and why."""

    customer: CollectionsCustomer
    amount_due: Decimal
    amount_overdue: Decimal
    oldest_due_date: date
    level: int
    """The highest level the customer's open invoices reached."""
    reasons: tuple[WorkReason, ...]
    next_action_on: date | None
    """When the next notice of an invoice not held comes (today or before: due now)."""


def _work_item(
    case: CollectionCase,
    policy: DunningPolicy,
    as_of: date,
    promises: Sequence[PromiseToPay],
    plans: Sequence[PaymentPlan],
) -> WorkItem | None:
    customer = case.customer
    # Proceedings and exclusions stop dunning: nobody calls those customers.
    if customer.insolvent_on(as_of) or customer.excluded_on(as_of):
        return None
    views = _views(case, policy, as_of)
    overdue = [v for v in views if v.overdue]
    if not overdue:
        return None
    reasons: list[WorkReason] = []
    if any(_call_due(v, policy, as_of) for v in overdue):
        reasons.append("dunning_call")
    # The latest promise and plan tell where the customer stands now.
    if promises and (
        promises[-1].status == "broken"
        or (promises[-1].status == "pending" and promises[-1].deadline < as_of)
    ):
        reasons.append("promise_broken")
    if plans and (
        plans[-1].status == "breached"
        or (plans[-1].status == "active" and plans[-1].missed_on(as_of) is not None)
    ):
        reasons.append("plan_breached")
    if not reasons:
        return None
    upcoming = [v.next.on for v in views if v.next is not None and v.held is None]
    return WorkItem(
        customer=customer,
        amount_due=sum((v.receivable.amount_due for v in views), ZERO),
        amount_overdue=sum((v.receivable.amount_due for v in overdue), ZERO),
        oldest_due_date=min(v.receivable.due_date or as_of for v in overdue),
        level=max(v.receivable.level for v in views),
        reasons=tuple(reasons),
        next_action_on=min(upcoming, default=None),
    )


def _call_due(view: ReceivableView, policy: DunningPolicy, as_of: date) -> bool:
    """The invoice reached a call, or its next level, due by now, is one (and it is not held)."""
    if view.held is not None:
        return False
    reached = view.receivable.level
    if reached and policy.levels[min(reached, len(policy.levels)) - 1].channel == "call":
        return True
    return view.next is not None and view.next.on <= as_of and view.next.level.channel == "call"


async def worklist(
    uow: CollectionsUnitOfWork, as_of: date, page: PageParams
) -> tuple[list[WorkItem], str | None]:
    """Who to call on `as_of`, the most overdue first (then by customer id)."""
    after = _worklist_position(page.cursor)
    receivables = await uow.receivables.owing()
    owners = sorted({r.customer_id for r in receivables.values()})
    customers = await uow.customers.many(owners)
    promises = await uow.promises.of_customers(owners)
    plans = await uow.plans.of_customers(owners)
    default = await default_policy(uow)
    items = []
    for customer_id in owners:
        customer = customers[customer_id]
        case = CollectionCase(
            customer=customer,
            receivables=[r for r in receivables.values() if r.customer_id == customer_id],
            promises=[p for p in promises if p.customer_id == customer_id],
            plans=[p for p in plans if p.customer_id == customer_id],
        )
        item = _work_item(case, customer.policy_or(default), as_of, case.promises, case.plans)
        if item is not None:
            items.append(item)
    items.sort(key=_worklist_order)
    if after is not None:
        items = [i for i in items if _worklist_order(i) > after]
    found = items[: page.limit]
    next_cursor = None
    if len(items) > page.limit:
        last = found[-1]
        next_cursor = encode_cursor(
            {
                "amount_overdue": str(last.amount_overdue),
                "customer_id": str(last.customer.customer_id),
            }
        )
    return found, next_cursor


def _worklist_order(item: WorkItem) -> tuple[Decimal, UUID]:
    return -item.amount_overdue, item.customer.customer_id


def _worklist_position(cursor: str | None) -> tuple[Decimal, UUID] | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    amount = cursor_value(position, "amount_overdue", finite_decimal)
    return -amount, cursor_value(position, "customer_id", lambda v: UUID(str(v)))


# -- notices -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeView:
    run_id: UUID
    notice: Notice
    delivery: NoticeDelivery | None = None
    """What the notice sender made of it (without the document); None: nothing yet."""


NEWEST_NOTICES = Keyset(
    Key("sent_on", notices.c.sent_on, date), Key("id", notices.c.id, UUID), descending=True
)


async def list_notices(
    uow: CollectionsUnitOfWork, *, customer_id: UUID | None, page: PageParams
) -> tuple[list[NoticeView], str | None]:
    query = NEWEST_NOTICES.apply(sa.select(notices), page)
    if customer_id is not None:
        query = query.where(notices.c.customer_id == customer_id)
    found_rows = (await uow.session.execute(query)).mappings().all()
    kept = found_rows[: page.limit]
    found = await uow.runs.notices_of(kept)
    deliveries = await uow.deliveries.states_of(n.notice_id for n in found)
    views = [
        NoticeView(row["run_id"], notice, deliveries.get(notice.notice_id))
        for row, notice in zip(kept, found, strict=True)
    ]
    return views, NEWEST_NOTICES.next_cursor(kept, len(found_rows) > page.limit)


async def get_notice(uow: CollectionsUnitOfWork, notice_id: UUID) -> NoticeView | None:
    row = (
        (await uow.session.execute(sa.select(notices).where(notices.c.id == notice_id)))
        .mappings()
        .first()
    )
    if row is None:
        return None
    [notice] = await uow.runs.notices_of([row])
    deliveries = await uow.deliveries.states_of([notice_id])
    return NoticeView(row["run_id"], notice, deliveries.get(notice_id))
