"""Money rules of billing documents: VAT rates, line amounts rounded once, totals summed exactly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from coulisse.contracts.billing import DocumentLine, VatSubtotal
from coulisse.contracts.money import CENT, ZERO, round_money
from coulisse.platform.domain import InvalidInput

HUNDRED = Decimal(100)
VAT_RATES: tuple[Decimal, ...] = (
    Decimal("20.0"),
    Decimal("10.0"),
    Decimal("5.5"),
    Decimal("2.1"),
    Decimal("0.0"),
)
"""The French VAT rates, in their canonical written form."""

MAX_AMOUNT = Decimal("1e13")
"""The wire's Money carries amounts below 10^13."""

REVENUE_ACCOUNT = re.compile(r"^7[0-9]{2,9}$")
"""A PCG class 7 (revenue) account, e.g. 706100."""

MAX_DESCRIPTION = 500


def canonical_vat_rate(value: Decimal) -> Decimal | None:
    """The canonical form of a VAT rate ("20" and "20.0" are one rate), None if billing has none."""
    for rate in VAT_RATES:
        if value == rate:
            return rate
    return None


def canonical_quantity(value: Decimal) -> Decimal:
    """A quantity without its trailing zeros ("1.500" is "1.5"), written without an exponent."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral() else normalized


def is_revenue_account(value: str) -> bool:
    return REVENUE_ACCOUNT.match(value) is not None


def check_amount(value: Decimal, *, field: str) -> None:
    if value >= MAX_AMOUNT:
        raise InvalidInput(f"the amount {value} is too large (limit 10^13)", field=field)


@dataclass(frozen=True)
class Line:
    """One line of an invoice or credit note: net and VAT rounded half-up to the cent, once."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    net: Decimal
    vat: Decimal
    revenue_account: str | None = None

    @classmethod
    def priced(
        cls,
        *,
        description: str,
        quantity: Decimal,
        unit_price: Decimal,
        vat_rate: Decimal,
        revenue_account: str | None = None,
        field: str = "lines.0",
    ) -> Line:
        description = description.strip()
        if not description or len(description) > MAX_DESCRIPTION:
            raise InvalidInput(
                f"a line needs a description of 1 to {MAX_DESCRIPTION} characters",
                field=f"{field}.description",
            )
        if quantity <= 0:
            raise InvalidInput("the quantity must be greater than 0", field=f"{field}.quantity")
        if unit_price < 0 or unit_price != unit_price.quantize(CENT):
            raise InvalidInput(
                "the unit price must be 0 or more, with at most two decimals",
                field=f"{field}.unit_price",
            )
        rate = canonical_vat_rate(vat_rate)
        if rate is None:
            raise InvalidInput(
                f"{vat_rate} % is not a VAT rate: use one of {', '.join(map(str, VAT_RATES))}",
                field=f"{field}.vat_rate",
            )
        if revenue_account is not None and not is_revenue_account(revenue_account):
            raise InvalidInput(
                "the revenue account must be a PCG class 7 account, e.g. 706100",
                field=f"{field}.revenue_account",
            )
        with localcontext() as context:
            context.prec = 60  # quantity × price may have more digits than the default 28
            net = round_money(quantity * unit_price)
            vat = round_money(net * rate / HUNDRED)
        check_amount(net + vat, field=f"{field}.unit_price")
        return cls(
            description=description,
            quantity=canonical_quantity(quantity),
            unit_price=unit_price.quantize(CENT),
            vat_rate=rate,
            net=net,
            vat=vat,
            revenue_account=revenue_account,
        )

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def to_contract(self) -> DocumentLine:
        return DocumentLine(
            description=self.description,
            quantity=self.quantity,
            unit_price=self.unit_price,
            vat_rate=self.vat_rate,
            net=self.net,
            vat=self.vat,
            revenue_account=self.revenue_account,
        )


@dataclass(frozen=True)
class RateAmounts:
    """Net and VAT at one VAT rate."""

    vat_rate: Decimal
    net: Decimal = ZERO
    vat: Decimal = ZERO

    def __add__(self, other: RateAmounts) -> RateAmounts:
        return RateAmounts(self.vat_rate, self.net + other.net, self.vat + other.vat)

    def __sub__(self, other: RateAmounts) -> RateAmounts:
        return RateAmounts(self.vat_rate, self.net - other.net, self.vat - other.vat)

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def to_contract(self) -> VatSubtotal:
        return VatSubtotal(vat_rate=self.vat_rate, net=self.net, vat=self.vat)


@dataclass(frozen=True)
class Totals:
    """A document's totals: exact sums of its lines, and the same per VAT rate."""

    net: Decimal
    vat: Decimal
    breakdown: tuple[RateAmounts, ...]

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    @classmethod
    def of(cls, lines: Iterable[Line]) -> Totals:
        by_rate = by_vat_rate(lines)
        breakdown = tuple(by_rate[rate] for rate in VAT_RATES if rate in by_rate)
        return cls(
            net=sum((r.net for r in breakdown), ZERO),
            vat=sum((r.vat for r in breakdown), ZERO),
            breakdown=breakdown,
        )


def by_vat_rate(lines: Iterable[Line]) -> dict[Decimal, RateAmounts]:
    result: dict[Decimal, RateAmounts] = {}
    for line in lines:
        amounts = RateAmounts(line.vat_rate, line.net, line.vat)
        current = result.get(line.vat_rate)
        result[line.vat_rate] = amounts if current is None else current + amounts
    return result


BOOK_CURRENCY = "EUR"
"""Billing's documents, credit and balances are all in the currency of the books."""


def check_currency(currency: str) -> str:
    if currency != BOOK_CURRENCY:
        raise InvalidInput(
            f"billing keeps its accounts in {BOOK_CURRENCY}: {currency} is not accepted",
            field="currency",
        )
    return currency
