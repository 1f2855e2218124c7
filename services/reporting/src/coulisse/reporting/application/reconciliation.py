"""Billing's balances against the books' sub-ledgers, and what explains a drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from coulisse.platform.pagination import Page, PageParams

from ..adapters.uow import ReportingUnitOfWork
from ..domain.reconciliation import Drift, Standing, reconcile, total_drift
from .paging import page_of


@dataclass(frozen=True)
class UnjournaledEvent:
    """A money event of billing or collections with no journal entry yet."""

    event_id: UUID
    event_type: str
    occurred_at: datetime
    on_date: date
    reference: str | None
    amount: Decimal


@dataclass(frozen=True)
class SuspendedEvent:
    source_event_id: UUID
    source_event_type: str
    error: str
    suspended_at: datetime
    amount: Decimal | None
    """What the event changes in the customer's balance, when reporting read it."""


@dataclass(frozen=True)
class EntryOnAccount:
    """An entry on the customer's auxiliary account that billing's events do not account for:
    a manual entry or a reversal, or an entry whose source event reporting has not read."""

    entry_id: UUID
    journal_code: str
    entry_number: str
    entry_date: date
    posted_at: datetime
    manual: bool
    reversal: bool
    source_event_id: UUID | None
    source_event_type: str | None
    amount: Decimal


@dataclass(frozen=True)
class Explanation:
    unjournaled: list[UnjournaledEvent] = field(default_factory=list)
    suspended: list[SuspendedEvent] = field(default_factory=list)
    entries: list[EntryOnAccount] = field(default_factory=list)


@dataclass(frozen=True)
class ReconciliationRow:
    standing: Standing
    explanation: Explanation | None
    """Given for a row that drifts."""


@dataclass(frozen=True)
class ReconciliationReport:
    drift: Drift
    customers: Page[ReconciliationRow]


async def standings(uow: ReportingUnitOfWork) -> list[Standing]:
    reads = uow.reports
    return reconcile(
        await reads.billing_balances(), await reads.books_by_auxiliary(), await reads.accounts()
    )


async def _explain(uow: ReportingUnitOfWork, row: Standing) -> Explanation:
    reads = uow.reports
    unjournaled: list[UnjournaledEvent] = []
    suspended: list[SuspendedEvent] = []
    if row.customer_id is not None:
        unjournaled = [
            UnjournaledEvent(
                r.event_id, r.event_type, r.occurred_at, r.on_date, r.reference, r.amount
            )
            for r in await reads.unjournaled(row.customer_id)
        ]
        suspended = [
            SuspendedEvent(
                r.source_event_id, r.source_event_type, r.error, r.suspended_at, r.amount
            )
            for r in await reads.suspended_of(row.customer_id)
        ]
    entries: list[EntryOnAccount] = []
    if row.account_number is not None:
        entries = [
            EntryOnAccount(
                entry_id=r.entry_id,
                journal_code=r.journal_code,
                entry_number=r.entry_number,
                entry_date=r.entry_date,
                posted_at=r.posted_at,
                manual=bool(r.manual),
                reversal=bool(r.reversal),
                source_event_id=r.source_event_id,
                source_event_type=r.source_event_type,
                amount=r.debit - r.credit,
            )
            for r in await reads.entries_on([row.account_number])
        ]
    return Explanation(unjournaled, suspended, entries)


async def reconciliation(
    uow: ReportingUnitOfWork, page: PageParams, *, drifting_only: bool
) -> ReconciliationReport:
    rows = await standings(uow)
    shown = [row for row in rows if row.drift != 0] if drifting_only else rows
    found = page_of(shown, lambda row: row.key, page)
    items = [
        ReconciliationRow(row, await _explain(uow, row) if row.drift != 0 else None)
        for row in found.items
    ]
    return ReconciliationReport(
        drift=total_drift(rows),
        customers=Page[ReconciliationRow](items=items, next_cursor=found.next_cursor),
    )
