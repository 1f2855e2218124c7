"""Repositories of periods, suspense and auxiliary accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa

from coulisse.platform.repository import Repository
from coulisse.platform.sql import dialect_name, insert

from ..domain.periods import Period, first_day, next_period
from ..domain.suspense import SuspendedEvent
from .rows import period_from_row, suspended_from_row, suspended_values
from .tables import auxiliary_accounts, journal_entries, periods, suspense

# Posting transactions hold it shared, closing a month holds it exclusively: a month cannot be
# closed while an entry dated in it is being written.
BOOKS_LOCK = 4_180_001


class PeriodRepository(Repository):
    def __init__(self, session: Any, track: Any) -> None:
        super().__init__(session, track)
        self._closed: frozenset[str] | None = None

    async def closed(self) -> frozenset[str]:
        """Closed months, read once per transaction under the shared books lock."""
        if self._closed is None:
            if dialect_name(self.session) == "postgresql":
                await self.session.execute(
                    sa.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": BOOKS_LOCK}
                )
            rows = await self.session.execute(
                sa.select(periods.c.period).where(periods.c.status == "closed")
            )
            self._closed = frozenset(rows.scalars())
        return self._closed

    async def lock_for_closing(self) -> None:
        if dialect_name(self.session) == "postgresql":
            await self.session.execute(
                sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": BOOKS_LOCK}
            )

    async def get(self, period: str) -> Period:
        row = (
            (await self.session.execute(sa.select(periods).where(periods.c.period == period)))
            .mappings()
            .first()
        )
        found = Period(period) if row is None else period_from_row(row)
        self.track(found)
        return found

    async def save(self, period: Period) -> None:
        values = {
            "status": period.status,
            "closed_at": period.closed_at,
            "closed_by": period.closed_by,
            "entry_count": period.entry_count,
        }
        stmt = insert(self.session, periods).values(period=period.period, **values)
        await self.session.execute(
            stmt.on_conflict_do_update(index_elements=[periods.c.period], set_=values)
        )

    async def entry_counts(self) -> dict[str, int]:
        """Number of entries dated in each month that has any."""
        year = sa.extract("year", journal_entries.c.entry_date)
        month = sa.extract("month", journal_entries.c.entry_date)
        rows = await self.session.execute(
            sa.select(year, month, sa.func.count()).group_by(year, month)
        )
        return {f"{int(y):04d}-{int(m):02d}": int(n) for y, m, n in rows}

    async def entry_count(self, period: str) -> int:
        start = first_day(period)
        end = first_day(next_period(period))
        count = await self.session.scalar(
            sa.select(sa.func.count()).where(
                journal_entries.c.entry_date >= start, journal_entries.c.entry_date < end
            )
        )
        return int(count or 0)

    async def all(self) -> list[Period]:
        rows = await self.session.execute(sa.select(periods).order_by(periods.c.period))
        return [period_from_row(row) for row in rows.mappings()]

    async def open_months_with_entries(self, before: str) -> list[str]:
        closed = await self.closed_now()
        counts = await self.entry_counts()
        return sorted(p for p in counts if p < before and p not in closed)

    async def closed_now(self) -> frozenset[str]:
        rows = await self.session.execute(
            sa.select(periods.c.period).where(periods.c.status == "closed")
        )
        return frozenset(rows.scalars())


class SuspenseRepository(Repository):
    async def suspend(self, item: SuspendedEvent) -> SuspendedEvent:
        """Keeps the event once: suspended again, an open item only counts the new attempt."""
        existing = await self.get(item.source_event_id)
        if existing is None:
            await self.session.execute(sa.insert(suspense).values(**suspended_values(item)))
            self.track(item)
            return item
        if existing.status == "open":
            existing.attempts += 1
            existing.error = item.error
            existing.reason = item.reason
            await self.save(existing)
        return existing

    async def get(self, source_event_id: UUID) -> SuspendedEvent | None:
        row = (
            (
                await self.session.execute(
                    sa.select(suspense).where(suspense.c.source_event_id == source_event_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else suspended_from_row(row)

    async def save(self, item: SuspendedEvent) -> None:
        values = suspended_values(item)
        values.pop("source_event_id")
        await self.session.execute(
            sa.update(suspense)
            .where(suspense.c.source_event_id == item.source_event_id)
            .values(**values)
        )


class AuxiliaryAccountRepository(Repository):
    async def register(
        self,
        *,
        account_number: str,
        customer_id: UUID,
        label: str,
        now: datetime,
        keep_label: bool = False,
    ) -> None:
        """Names the account; `keep_label` leaves a label already recorded as it is (a
        registration read after the customer's erasure brings only a pseudonym)."""
        stmt = insert(self.session, auxiliary_accounts).values(
            account_number=account_number,
            customer_id=customer_id,
            label=label,
            updated_at=now,
        )
        index = [auxiliary_accounts.c.account_number]
        await self.session.execute(
            stmt.on_conflict_do_nothing(index_elements=index)
            if keep_label
            else stmt.on_conflict_do_update(
                index_elements=index, set_={"label": label, "updated_at": now}
            )
        )

    async def rename(self, *, customer_id: UUID, label: str, now: datetime) -> None:
        await self.session.execute(
            sa.update(auxiliary_accounts)
            .where(auxiliary_accounts.c.customer_id == customer_id)
            .values(label=label, updated_at=now)
        )

    async def mark_erased(self, *, customer_id: UUID, now: datetime) -> None:
        # The label stays: the books keep the party's name as long as the law keeps the books.
        await self.session.execute(
            sa.update(auxiliary_accounts)
            .where(auxiliary_accounts.c.customer_id == customer_id)
            .values(erased_at=now)
        )
