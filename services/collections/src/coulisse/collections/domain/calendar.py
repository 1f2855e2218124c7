"""Spans of calendar days: collections counts late days, held days and rate periods in whole days."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)

DEFAULT_GRACE_DAYS = 3
"""Days given after a promised date or an instalment's due date before the payment counts as
missing: a transfer ordered on the day takes a day or two to arrive."""

MAX_GRACE_DAYS = 30


@dataclass(frozen=True, order=True)
class DayRange:
    """The days from `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(
                f"a range of days cannot end ({self.last}) before it starts ({self.first})"
            )

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def intersection(self, other: DayRange) -> DayRange | None:
        first, last = max(self.first, other.first), min(self.last, other.last)
        return DayRange(first, last) if first <= last else None

    def without(self, holes: Iterable[DayRange]) -> list[DayRange]:
        """The days of this range outside every hole, as ordered, disjoint ranges."""
        pieces = [self]
        for hole in holes:
            kept: list[DayRange] = []
            for piece in pieces:
                if piece.intersection(hole) is None:
                    kept.append(piece)
                    continue
                if piece.first < hole.first:
                    kept.append(DayRange(piece.first, hole.first - ONE_DAY))
                if hole.last < piece.last:
                    kept.append(DayRange(hole.last + ONE_DAY, piece.last))
            pieces = kept
        return sorted(pieces)


def half_year_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)
