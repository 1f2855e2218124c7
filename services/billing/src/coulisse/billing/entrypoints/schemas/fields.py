"""Field types of billing's request bodies: strict about money, rates and dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from coulisse.contracts.money import DecimalString, NonNegativeMoney, PositiveDecimal

from ...domain.amounts import REVENUE_ACCOUNT, VAT_RATES, canonical_vat_rate


def _vat_rate(value: Decimal) -> Decimal:
    rate = canonical_vat_rate(value)
    if rate is None:
        raise ValueError(f"the VAT rate must be one of {', '.join(map(str, VAT_RATES))}")
    return rate


Quantity = PositiveDecimal
UnitPrice = NonNegativeMoney
VatRate = Annotated[
    DecimalString,
    AfterValidator(_vat_rate),
    WithJsonSchema({"type": "string", "enum": [format(r, "f") for r in VAT_RATES]}),
]
RevenueAccount = Annotated[str, StringConstraints(pattern=REVENUE_ACCOUNT.pattern)]
Description = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
ExternalRef = Annotated[str, StringConstraints(min_length=1, max_length=100)]
