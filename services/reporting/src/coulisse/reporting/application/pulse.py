"""The back-office pulse: the day's figures, each judged where docs/accounting.md sets a target.

Flows (manual entries, out-of-band writes, corrections, refund lead time) count the last `days`
days; states (requests, suspense, drift, DSO, overdue) are as of now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from coulisse.platform.clock import BUSINESS_ZONE

from ..adapters.uow import ReportingUnitOfWork
from ..domain.pulse import Status, overall, zero_is_green
from ..domain.reconciliation import Drift, total_drift
from . import operations, receivables, reconciliation
from .receivables import DsoFigures


@dataclass(frozen=True)
class Pulse:
    as_of: date
    days: int
    since: datetime
    unresolved_requests: int
    late_requests: int
    manual_entries: int
    out_of_band_writes: int
    corrections: dict[str, int]
    """`credit_note`, `refund`, `reversal`: how many of each."""
    suspended: int
    oldest_suspended_at: datetime | None
    oldest_suspension_days: Decimal | None
    drift: Drift
    refund_lead_time: operations.RefundLeadTime
    dso: DsoFigures
    overdue: Decimal

    @property
    def statuses(self) -> dict[str, Status]:
        return {
            "manual_entries": zero_is_green(self.manual_entries),
            "out_of_band_writes": zero_is_green(self.out_of_band_writes),
            "suspense": zero_is_green(self.suspended),
            "drift": zero_is_green(self.drift.drifting),
        }

    @property
    def status(self) -> Status:
        return overall(self.statuses.values())


async def pulse(uow: ReportingUnitOfWork, now: datetime, days: int) -> Pulse:
    reads = uow.reports
    start = operations.since(now, days)
    today = now.astimezone(BUSINESS_ZONE).date()
    suspended, oldest = await reads.suspense()
    return Pulse(
        as_of=today,
        days=days,
        since=start,
        unresolved_requests=await reads.count_requests("unresolved", now),
        late_requests=await reads.count_requests("late", now),
        manual_entries=await reads.count_manual_entries(start),
        out_of_band_writes=await reads.count_out_of_band_writes(start),
        corrections=await reads.count_corrections(start),
        suspended=suspended,
        oldest_suspended_at=oldest,
        oldest_suspension_days=None if oldest is None else operations.age_days(oldest, now),
        drift=total_drift(await reconciliation.standings(uow)),
        refund_lead_time=await operations.refund_lead_time(uow, now, days),
        dso=await receivables.dso_today(uow, today, days),
        overdue=await receivables.overdue(uow, today),
    )
