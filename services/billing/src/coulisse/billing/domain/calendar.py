"""Business dates are French dates: "today" is today in Paris, whatever the server's zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from coulisse.platform.domain import InvalidInput

BUSINESS_ZONE = ZoneInfo("Europe/Paris")


def today() -> date:
    return datetime.now(BUSINESS_ZONE).date()


def not_in_future(value: date, *, field: str) -> date:
    if value > today():
        raise InvalidInput(f"{value.isoformat()} is in the future", field=field)
    return value
