"""Percentiles of lead times, and lead times in days.

The percentile is the linear interpolation between closest ranks (Hyndman and Fan's type 7,
the default of NumPy and of spreadsheets' PERCENTILE.INC): sorted values x₁…xₙ, rank
h = (n − 1)·p/100 + 1, result x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋). It is always within the
values seen, and the p50 of an even count is the mean of the two middle values.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .dso import round_days

_DAY = timedelta(days=1) // timedelta(microseconds=1)


def percentile(values: Sequence[Decimal], p: int) -> Decimal | None:
    """The `p`-th percentile (1 ≤ p ≤ 99) of `values`, rounded to the hundredth; None when
    there is no value."""
    if not 1 <= p <= 99:
        raise ValueError("a percentile is between 1 and 99")
    if not values:
        return None
    if len(values) == 1:
        return round_days(values[0])
    cuts = statistics.quantiles(sorted(values), n=100, method="inclusive")
    return round_days(Decimal(cuts[p - 1]))


def as_utc(instant: datetime) -> datetime:
    """An instant read back from SQLite has lost its offset: it was written in UTC."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def days_between(start: datetime, end: datetime) -> Decimal:
    """Decimal days from `start` to `end`, exact to the microsecond (never negative)."""
    micros = (as_utc(end) - as_utc(start)) // timedelta(microseconds=1)
    return Decimal(max(micros, 0)) / Decimal(_DAY)
