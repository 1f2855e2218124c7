"""Document dates: never after today (the business date, in Paris, given by the caller)."""

from __future__ import annotations

from datetime import date

from coulisse.platform.domain import InvalidInput


def not_in_future(value: date, *, today: date, field: str) -> date:
    if value > today:
        raise InvalidInput(f"{value.isoformat()} is in the future", field=field)
    return value
