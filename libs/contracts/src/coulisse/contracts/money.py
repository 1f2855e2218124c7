"""Money and other wire types shared by every event and API.

Money travels as a JSON string with exactly two decimals ("120.00"), never as a float:
a JSON number where money is expected is refused, because a binary float cannot hold a cent
exactly and a rounding error in the books is a legal problem, not a cosmetic one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY_PATTERN = r"^-?\d{1,13}(\.\d{1,2})?$"
_MONEY_RE = re.compile(MONEY_PATTERN)
_MONEY_LIMIT = Decimal("1e13")

DECIMAL_PATTERN = r"^-?\d{1,9}(\.\d{1,6})?$"
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)

# The same without a sign, and what a zero looks like in them: the JSON Schema of a positive
# amount is "unsigned and not zero", so a document states exactly what its validation accepts.
UNSIGNED_MONEY_PATTERN = MONEY_PATTERN.replace("^-?", "^")
UNSIGNED_DECIMAL_PATTERN = DECIMAL_PATTERN.replace("^-?", "^")
ZERO_PATTERN = r"^0+(\.0+)?$"


def round_money(value: Decimal) -> Decimal:
    """Round half-up to the cent: done once, at the source document."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal) -> str:
    """The wire form: two decimals, and never "-0.00"."""
    rounded = round_money(value)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:.2f}"


def _parse_money(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= _MONEY_LIMIT:
            raise ValueError("money must be a finite amount below 10^13")
        if value != value.quantize(CENT):
            raise ValueError("money has at most two decimals")
        return value.quantize(CENT)
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('money must be a string with two decimals, e.g. "120.00"')
    if not _MONEY_RE.match(value):
        raise ValueError('money must be a string with at most two decimals, e.g. "120.00"')
    return Decimal(value).quantize(CENT)


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_money),
    PlainSerializer(format_money, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["120.00"]}),
]
"""An amount of money: a Decimal in Python, a two-decimal string on the wire."""


def _parse_decimal_string(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite() or not _DECIMAL_RE.match(format(value, "f")):
            raise ValueError("must be a finite decimal with at most 9 digits and 6 decimals")
        return value
    if isinstance(value, bool) or not isinstance(value, str) or not _DECIMAL_RE.match(value):
        raise ValueError('must be a decimal string, e.g. "1.5"')
    return Decimal(value)


def _format_decimal(value: Decimal) -> str:
    return format(value, "f")


DecimalString = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal_string),
    PlainSerializer(_format_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN, "examples": ["1.5"]}),
]
"""A non-money decimal (quantity, VAT rate) carried as a string, never a float."""


def _unsigned(value: Decimal) -> Decimal:
    if value.is_signed():  # "-0.00" too
        raise ValueError("must not be negative")
    return value


NonNegativeMoney = Annotated[
    Money,
    AfterValidator(_unsigned),
    WithJsonSchema({"type": "string", "pattern": UNSIGNED_MONEY_PATTERN, "examples": ["120.00"]}),
]
"""An amount of zero or more, written without a sign."""

PositiveMoney = Annotated[
    Money,
    Field(gt=0),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UNSIGNED_MONEY_PATTERN,
            "not": {"pattern": ZERO_PATTERN},
            "examples": ["120.00"],
        }
    ),
]
"""An amount above zero."""

PositiveDecimal = Annotated[
    DecimalString,
    Field(gt=0),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": UNSIGNED_DECIMAL_PATTERN,
            "not": {"pattern": ZERO_PATTERN},
            "examples": ["1.5"],
        }
    ),
]
"""A decimal above zero (a quantity)."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 code, upper case: the currency every amount of the event is in."""


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Instant = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A point in time: refused without a UTC offset, normalised to UTC (RFC 3339 `...Z`)."""
