"""The back-office pulse's verdicts: green is zero manual entries, zero out-of-band writes,
zero suspense and zero drift (docs/accounting.md); the other figures inform and judge nothing."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Literal

Status = Literal["green", "red"]


def zero_is_green(value: int | Decimal) -> Status:
    return "green" if value == 0 else "red"


def overall(statuses: Iterable[Status | None]) -> Status:
    """Red as soon as one figure is."""
    return "red" if "red" in statuses else "green"
