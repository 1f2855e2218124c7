"""The reference rates shipped with the service (`data/reference_rates.csv`): one row per kind
and half-year, as published. Rates published since the release are entered through the API and
kept in the database; both together are the service's table."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files

from ..domain.rates import REFERENCE_RATE_KINDS, ReferenceRate, ReferenceRates

SHIPPED_FILE = "reference_rates.csv"


@cache
def shipped_reference_rates() -> tuple[ReferenceRate, ...]:
    text = files("coulisse.collections.data").joinpath(SHIPPED_FILE).read_text(encoding="utf-8")
    rates = []
    for row in csv.DictReader(io.StringIO(text)):
        kind = next((k for k in REFERENCE_RATE_KINDS if k == row["kind"]), None)
        if kind is None:
            raise ValueError(f"{SHIPPED_FILE}: unknown kind of rate {row['kind']!r}")
        rates.append(
            ReferenceRate(
                kind=kind,
                effective_on=date.fromisoformat(row["effective_on"]),
                rate=Decimal(row["rate"]),
                source=row["source"],
            )
        )
    ReferenceRates(rates)  # refuses two different rates for one half-year
    return tuple(rates)
