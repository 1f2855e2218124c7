"""Refund lead time, and the lists behind the pulse: requests, manual entries, out-of-band
writes, suspense, corrections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from coulisse.platform.pagination import Page, PageParams

from ..adapters.uow import ReportingUnitOfWork
from ..domain.dso import round_days
from ..domain.percentiles import as_utc, days_between, percentile

RequestState = Literal["unresolved", "late"]
OPEN_SHOWN = 100
"""Open refund requests listed in the lead-time report (oldest first); all are counted."""


def since(now: datetime, days: int) -> datetime:
    """The start of the last `days` days."""
    return now - timedelta(days=days)


def age_days(start: datetime, now: datetime) -> Decimal:
    return round_days(days_between(start, now))


@dataclass(frozen=True)
class RefundedRequest:
    request_id: UUID
    customer_id: UUID
    opened_at: datetime
    refunded_at: datetime
    days: Decimal


@dataclass(frozen=True)
class OpenRequest:
    request_id: UUID
    customer_id: UUID
    category: str | None
    status: str
    opened_at: datetime
    due_at: datetime | None
    age_days: Decimal
    late: bool
    """Past its deadline (`due_at`) and not resolved."""


def _open_request(row: Any, now: datetime) -> OpenRequest:
    return OpenRequest(
        request_id=row.request_id,
        customer_id=row.customer_id,
        category=row.category,
        status=row.status,
        opened_at=row.opened_at,
        due_at=row.due_at,
        age_days=age_days(row.opened_at, now),
        late=row.due_at is not None and as_utc(row.due_at) < now,
    )


@dataclass(frozen=True)
class RefundLeadTime:
    days: int
    since: datetime
    requests: int
    """`refund` requests opened in the window."""
    refunded: list[RefundedRequest]
    p50: Decimal | None
    p90: Decimal | None
    open_count: int
    open: list[OpenRequest]


async def refund_lead_time(uow: ReportingUnitOfWork, now: datetime, days: int) -> RefundLeadTime:
    start = since(now, days)
    rows = await uow.reports.refund_requests(start)
    refunded = [
        RefundedRequest(
            r.request_id,
            r.customer_id,
            r.opened_at,
            r.refunded_at,
            round_days(days_between(r.opened_at, r.refunded_at)),
        )
        for r in rows
        if r.refunded_at is not None
    ]
    exact = [days_between(r.opened_at, r.refunded_at) for r in refunded]
    count, open_rows = await uow.reports.open_refund_requests(OPEN_SHOWN)
    return RefundLeadTime(
        days=days,
        since=start,
        requests=len(rows),
        refunded=refunded,
        p50=percentile(exact, 50),
        p90=percentile(exact, 90),
        open_count=count,
        open=[_open_request(r, now) for r in open_rows],
    )


async def requests(
    uow: ReportingUnitOfWork,
    state: RequestState,
    now: datetime,
    category: str | None,
    page: PageParams,
) -> Page[OpenRequest]:
    found = await uow.reports.requests_page(state, now, category, page)
    return Page[OpenRequest](
        items=[_open_request(r, now) for r in found.items], next_cursor=found.next_cursor
    )


@dataclass(frozen=True)
class ManualEntry:
    entry_id: UUID
    journal_code: str
    entry_number: str
    entry_date: date
    posted_at: datetime
    actor: str
    total: Decimal
    receivables: Decimal
    """What it adds to 411 + 416 (debit − credit on those accounts)."""
    auxiliary_accounts: list[str]


async def manual_entries(
    uow: ReportingUnitOfWork, now: datetime, days: int, page: PageParams
) -> Page[ManualEntry]:
    found = await uow.reports.manual_entries_page(since(now, days), page)
    lines = await uow.reports.receivable_lines_of([row.entry_id for row in found.items])
    effect: dict[UUID, Decimal] = {}
    accounts: dict[UUID, set[str]] = {}
    for line in lines:
        effect[line.entry_id] = (
            effect.get(line.entry_id, Decimal("0.00")) + line.debit - line.credit
        )
        if line.auxiliary_account:
            accounts.setdefault(line.entry_id, set()).add(line.auxiliary_account)
    return Page[ManualEntry](
        items=[
            ManualEntry(
                entry_id=row.entry_id,
                journal_code=row.journal_code,
                entry_number=row.entry_number,
                entry_date=row.entry_date,
                posted_at=row.posted_at,
                actor=row.actor,
                total=row.total,
                receivables=effect.get(row.entry_id, Decimal("0.00")),
                auxiliary_accounts=sorted(accounts.get(row.entry_id, set())),
            )
            for row in found.items
        ],
        next_cursor=found.next_cursor,
    )


async def out_of_band_writes(
    uow: ReportingUnitOfWork, now: datetime, days: int, page: PageParams
) -> Page[Any]:
    return await uow.reports.out_of_band_writes_page(since(now, days), page)


async def corrections(
    uow: ReportingUnitOfWork, now: datetime, days: int, page: PageParams
) -> Page[Any]:
    return await uow.reports.corrections_page(since(now, days), page)


async def suspense(uow: ReportingUnitOfWork, page: PageParams) -> Page[Any]:
    return await uow.reports.suspense_page(page)
