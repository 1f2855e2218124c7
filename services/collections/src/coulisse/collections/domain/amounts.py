"""Money as collections handles it: Decimal with two decimals, checked where it enters."""

from __future__ import annotations

from decimal import Decimal

from coulisse.contracts.money import CENT
from coulisse.platform.domain import InvalidInput

MAX_AMOUNT = Decimal("1e13")
"""The wire's Money carries amounts below 10^13."""


def check_amount(value: Decimal, *, field: str, positive: bool = True) -> Decimal:
    """`value` as an amount of money: finite, at most two decimals, below 10^13, above zero
    (or at least zero when `positive` is false). Returns it with exactly two decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput("an amount must be a finite decimal", field=field)
    if value != value.quantize(CENT):
        raise InvalidInput(f"the amount {value} has more than two decimals", field=field)
    if value >= MAX_AMOUNT:
        raise InvalidInput(f"the amount {value} is too large (limit 10^13)", field=field)
    if positive and value <= 0:
        raise InvalidInput(f"the amount must be above 0, not {value}", field=field)
    if value < 0:
        raise InvalidInput(f"the amount cannot be negative ({value})", field=field)
    return value.quantize(CENT)
