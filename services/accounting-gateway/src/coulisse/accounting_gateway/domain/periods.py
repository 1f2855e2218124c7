"""Accounting periods: calendar months, closed one after the other, never reopened.

Nothing is ever dated in a closed month: an event whose document falls in one is dated the first
day of the next open month (its piece date keeps the document's date). A month can be closed
once it has begun, and only when every earlier month holding entries is closed, so the closed
months always form an unbroken run from the start of the books.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from coulisse.contracts.accounting import PeriodClosed
from coulisse.platform.domain import Aggregate, Conflict, InvalidInput

PeriodStatus = Literal["open", "closed"]
PERIOD_PATTERN = r"^(19[0-9]{2}|[2-9][0-9]{3})-(0[1-9]|1[0-2])$"
"""A month, `YYYY-MM`, from 1900 (like a fiscal year)."""
_PERIOD = re.compile(PERIOD_PATTERN)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def parse_period(text: str) -> tuple[int, int]:
    match = _PERIOD.match(text)
    if match is None:
        raise InvalidInput(f"{text!r} is not a month (YYYY-MM)", field="path.period")
    return int(match.group(1)), int(match.group(2))


def first_day(period: str) -> date:
    year, month = parse_period(period)
    return date(year, month, 1)


def next_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def posting_date(document_date: date, closed: Collection[str]) -> date:
    """The document's date, or the first day of the next open month if its month is closed."""
    period = period_of(document_date)
    if period not in closed:
        return document_date
    while period in closed:
        period = next_period(period)
    return first_day(period)


@dataclass
class Period(Aggregate):
    period: str
    status: PeriodStatus = "open"
    closed_at: datetime | None = None
    closed_by: str | None = None
    entry_count: int = 0

    def close(
        self,
        *,
        today: date,
        now: datetime,
        actor: str,
        entry_count: int,
        earlier_open_with_entries: Sequence[str],
    ) -> None:
        if self.status == "closed":
            raise Conflict(f"{self.period} is already closed")
        if first_day(self.period) > today:
            raise Conflict(f"{self.period} has not begun; it cannot be closed yet")
        if earlier_open_with_entries:
            raise Conflict(
                f"close {', '.join(earlier_open_with_entries)} first: months close in order",
                open_periods=list(earlier_open_with_entries),
            )
        self.status = "closed"
        self.closed_at = now
        self.closed_by = actor
        self.entry_count = entry_count
        self.record(PeriodClosed(period=self.period, closed_at=now, entry_count=entry_count))
