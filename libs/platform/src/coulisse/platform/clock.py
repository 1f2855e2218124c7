"""Time is an input: every "now" and "today" of the code comes from a `Clock`.

Production runs on `SystemClock`. Tests hand a `SettableClock` to the code they drive in-process,
and move it; processes they start read `COULISSE_CLOCK_START` (an ISO instant): the process's
clock then starts at that instant and runs at the normal pace from there, so a whole system can
be run "in 2029" without touching the machine's clock.

Business dates are French dates: "today" is today in Paris, whatever the server's zone.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

BUSINESS_ZONE = ZoneInfo("Europe/Paris")
START_ENV = "COULISSE_CLOCK_START"


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


def today(clock: Clock) -> date:
    """The business date (Paris) at the clock's current instant."""
    return clock.now().astimezone(BUSINESS_ZONE).date()


def timestamp(clock: Clock) -> int:
    """Seconds since the epoch, for token claims."""
    return int(clock.now().timestamp())


def parse_instant(text: str) -> datetime:
    """An ISO date or instant; a date means midnight UTC, a naive instant is UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SystemClock:
    """The machine's clock, shifted once at start when `COULISSE_CLOCK_START` is set."""

    def __init__(self, start: datetime | None = None) -> None:
        configured = os.environ.get(START_ENV, "").strip()
        if start is None and configured:
            start = parse_instant(configured)
        # The offset is fixed at construction; the clock then advances with real time.
        self._offset = start - datetime.fromtimestamp(time.time(), UTC) if start else timedelta(0)

    def now(self) -> datetime:
        return datetime.fromtimestamp(time.time(), UTC) + self._offset


class SettableClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime | date | str) -> None:
        self._lock = threading.Lock()
        self._now = _instant(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime | date | str) -> None:
        with self._lock:
            self._now = _instant(instant)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def _instant(value: datetime | date | str) -> datetime:
    if isinstance(value, str):
        return parse_instant(value)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # A bare date means noon in Paris: the same business day in every zone a test might use.
    return datetime(value.year, value.month, value.day, 12, tzinfo=BUSINESS_ZONE).astimezone(UTC)


_default: Clock = SystemClock()


def default_clock() -> Clock:
    """The process's clock, for code that has no runtime to ask (CLI commands, scripts)."""
    return _default
