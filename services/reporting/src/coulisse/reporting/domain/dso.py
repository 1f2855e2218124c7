"""Days sales outstanding: how many days of sales the receivables represent.

- **Simple**: receivables on the date ÷ sales (incl. VAT) of the `days` days ending on that
  date × `days`. No sales in the period: no figure.
- **Count-back**: the receivables are matched against the sales of the calendar months ending
  on the date, newest first (the first month runs from its 1st to the date). A month whose
  sales do not cover what is left counts all its days; the month that covers it counts
  `left ÷ its sales × its days`. The walk stops after `MAX_MONTHS` months.

Days are rounded half-up to the hundredth, once, at the end.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")
MAX_MONTHS = 24
"""How far back count-back walks: older receivables count as that many months."""
TREND_MONTHS = 12


def round_days(days: Decimal) -> Decimal:
    return days.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


def window(as_of: date, days: int) -> Period:
    """The `days` days ending on `as_of`."""
    return Period(as_of - timedelta(days=days - 1), as_of)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_back(as_of: date, count: int = MAX_MONTHS) -> list[Period]:
    """Calendar months ending on `as_of`, newest first: the first from its 1st to `as_of`."""
    periods: list[Period] = []
    end = as_of
    for _ in range(count):
        start = end.replace(day=1)
        periods.append(Period(start, end))
        end = start - timedelta(days=1)
    return periods


def month_ends(as_of: date, count: int = TREND_MONTHS) -> list[date]:
    """The last `count` month ends on or before `as_of`, oldest first."""
    last = as_of if as_of == month_end(as_of) else as_of.replace(day=1) - timedelta(days=1)
    ends = [last]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - timedelta(days=1))
    return list(reversed(ends))


def simple_dso(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    if receivables <= 0:
        return round_days(Decimal(0))
    if sales <= 0:
        return None
    return round_days(receivables / sales * days)


def count_back_dso(receivables: Decimal, months: Sequence[tuple[int, Decimal]]) -> Decimal:
    """`months`: (days, sales) of each month, newest first."""
    left = receivables
    days = Decimal(0)
    for month_days, sales in months:
        if left <= 0:
            break
        if sales >= left:
            days += left / sales * month_days
            left = Decimal(0)
        else:
            days += month_days
            left -= max(sales, Decimal(0))
    return round_days(days)
