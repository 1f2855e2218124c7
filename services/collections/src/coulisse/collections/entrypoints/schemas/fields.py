"""Field types of collections' request bodies: strict about dates and whole numbers.

Business rules (an amount above zero, levels in order, …) are the domain's: it refuses them
naming the field. These types only refuse what is not the right kind of value.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict, WithJsonSchema

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError("a date is a string YYYY-MM-DD")
    return date.fromisoformat(value)


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-02"]}),
]
WholeNumber = Annotated[int, Strict()]
"""A JSON integer: neither "7" nor 7.0 nor true."""
